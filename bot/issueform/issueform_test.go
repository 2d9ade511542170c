package issueform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const formFile = "../../.github/ISSUE_TEMPLATE/golive.yml"

// issueForm is the part of GitHub's issue form syntax these tests check.
type issueForm struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Title       string   `yaml:"title"`
	Labels      []string `yaml:"labels"`
	Body        []struct {
		Type       string `yaml:"type"`
		ID         string `yaml:"id"`
		Attributes struct {
			Label   string   `yaml:"label"`
			Value   string   `yaml:"value"`
			Options []string `yaml:"options"`
		} `yaml:"attributes"`
		Validations struct {
			Required bool `yaml:"required"`
		} `yaml:"validations"`
	} `yaml:"body"`
}

func loadForm(t *testing.T) issueForm {
	t.Helper()
	data, err := os.ReadFile(formFile)
	if err != nil {
		t.Fatal(err)
	}
	var form issueForm
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(false)
	if err := dec.Decode(&form); err != nil {
		t.Fatalf("parse %s: %v", formFile, err)
	}
	return form
}

// render writes answers the way GitHub renders a submitted issue form: one
// "### label" section per non-markdown field, "_No response_" when empty.
func render(form issueForm, answers map[string]string) string {
	var sections []string
	for _, el := range form.Body {
		if el.Type == "markdown" {
			continue
		}
		answer := answers[el.Attributes.Label]
		if answer == "" {
			answer = NoResponse
		}
		sections = append(sections, "### "+el.Attributes.Label+"\n\n"+answer)
	}
	return strings.Join(sections, "\n\n")
}

func TestShippedForm(t *testing.T) {
	form := loadForm(t)
	if form.Name == "" || form.Description == "" || form.Title == "" {
		t.Errorf("name %q, description %q, title %q: GitHub requires name and description", form.Name, form.Description, form.Title)
	}
	if !reflect.DeepEqual(form.Labels, []string{"golive"}) {
		t.Errorf("labels = %q, want [golive]", form.Labels)
	}
	var labels []string
	ids := map[string]bool{}
	required := map[string]bool{}
	for _, el := range form.Body {
		switch el.Type {
		case "markdown":
			if el.Attributes.Value == "" {
				t.Error("markdown element without value")
			}
			continue
		case "input", "textarea", "dropdown":
		default:
			t.Errorf("element type %q", el.Type)
		}
		if el.ID == "" || ids[el.ID] {
			t.Errorf("element %q has a missing or repeated id %q", el.Attributes.Label, el.ID)
		}
		ids[el.ID] = true
		if el.Type == "dropdown" && len(el.Attributes.Options) == 0 {
			t.Errorf("dropdown %q has no options", el.Attributes.Label)
		}
		labels = append(labels, el.Attributes.Label)
		required[el.Attributes.Label] = el.Validations.Required
	}
	if !reflect.DeepEqual(labels, Labels()) {
		t.Errorf("form labels = %q\nwant %q", labels, Labels())
	}
	for _, l := range Labels() {
		if want := l == LabelTime || l == LabelEnvironment; required[l] != want {
			t.Errorf("%q required = %v, want %v", l, required[l], want)
		}
	}
}

func TestRenderedFormRoundTrips(t *testing.T) {
	form := loadForm(t)
	full := map[string]string{
		LabelTime:         "2026-12-01 14:00",
		LabelTimezone:     "Europe/Berlin",
		LabelEnvironment:  "production",
		LabelRelease:      "v1.4.0",
		LabelSlackChannel: "#deploys",
		LabelCaptain:      "@octocat",
		LabelNotes:        "Rollback: redeploy v1.3.9.\n\n### Not a field\n\n```\n### nor this\n```",
	}
	minimal := map[string]string{LabelTime: "2026-12-01 14:00", LabelEnvironment: "staging"}
	for name, answers := range map[string]map[string]string{"full": full, "minimal": minimal} {
		t.Run(name, func(t *testing.T) {
			body := render(form, answers)
			got := Parse(body)
			for _, l := range Labels() {
				if got[l] != answers[l] && !(l == LabelNotes && name == "full") {
					t.Errorf("%q = %q, want %q", l, got[l], answers[l])
				}
			}
			// Same answers through CRLF, trailing content and reordering.
			crlf := strings.ReplaceAll(body, "\n", "\r\n") + "\r\n\r\n## Checklist\r\n\r\n- [ ] added by someone\r\n"
			if again := Parse(crlf); !reflect.DeepEqual(again, got) {
				t.Errorf("CRLF with trailing content:\n got %q\nwant %q", again, got)
			}
		})
	}
	// A "###" heading in the notes is kept as an unknown heading; inside a
	// code fence it is text.
	got := Parse(render(form, full))
	if got[LabelNotes] != "Rollback: redeploy v1.3.9." {
		t.Errorf("notes = %q", got[LabelNotes])
	}
	if got["Not a field"] != "```\n### nor this\n```" {
		t.Errorf("unknown heading = %q", got["Not a field"])
	}
	if u := got.Unknown(); !reflect.DeepEqual(u, []string{"Not a field"}) {
		t.Errorf("Unknown = %q", u)
	}
}

func TestParseTolerance(t *testing.T) {
	body := "Intro text golive ignores.\n" +
		"  ###   Environment   ##\n\n  staging  \n\n" +
		"### Go-live time\n2026-12-01 14:00\n" +
		"#### Detail\nkept in the answer\n" +
		"###Not a heading\n" +
		"### Timezone\n\n_No response_\n\n" +
		"### Go-live time\n\n2030-01-01 00:00\n\n" +
		"###\n\nstray\n" +
		"# Appendix\n\n### Release\n\nv2\n"
	got := Parse(body)
	want := Answers{
		LabelEnvironment: "staging",
		LabelTime:        "2026-12-01 14:00\n#### Detail\nkept in the answer\n###Not a heading",
		LabelTimezone:    "",
		LabelRelease:     "v2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %q\nwant %q", got, want)
	}
	if v := (Answers{"go-live  TIME:": "x"}).Get(LabelTime); v != "x" {
		t.Errorf("Get with loose heading = %q", v)
	}
}

// TestParseRealWebhookBodies runs Parse on the issue bodies of real GitHub
// webhook payloads, none of which is a form: it must not fail and must not
// invent answers.
func TestParseRealWebhookBodies(t *testing.T) {
	files, err := filepath.Glob("../../testdata/github/webhooks/issues/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no webhook payloads: %v", err)
	}
	sawNullBody := false
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var payload struct {
			Issue struct {
				Body *string `json:"body"`
			} `json:"issue"`
		}
		if err := json.Unmarshal(data, &payload); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		body := ""
		if payload.Issue.Body == nil {
			sawNullBody = true
		} else {
			body = *payload.Issue.Body
		}
		a := Parse(body)
		if len(a) != 0 {
			t.Errorf("%s: Parse(%q) = %q, want no answers", filepath.Base(file), body, a)
		}
		_, problems := a.Plan(Defaults{Environments: []string{"production", "staging"}}, testNow)
		if !hasProblemFor(problems, LabelTime) || !hasProblemFor(problems, LabelEnvironment) {
			t.Errorf("%s: a body that is no form gives problems %q", filepath.Base(file), problems)
		}
	}
	if _, err := os.Stat("../../testdata/github/webhooks/issues/opened.with-empty-body.json"); err == nil && !sawNullBody {
		t.Error("opened.with-empty-body.json has a body")
	}
}

func hasProblemFor(ps []Problem, field string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Field == field })
}

// TestChecklistBlockEndsTheForm: golive's checklist, appended after the
// answers, never becomes part of the last answer.
func TestChecklistBlockEndsTheForm(t *testing.T) {
	body := "### Go-live time\n\n2026-12-01 14:00\n\n### Release captain\n\n@alice\n\n" +
		"<!-- golive:checklist:start -->\n### Pre-launch (T-7d)\n- [ ] Servers <!-- golive:item:a -->\n<!-- golive:checklist:end -->\n"
	if got := Parse(body).Get(LabelCaptain); got != "@alice" {
		t.Fatalf("captain = %q, want @alice alone", got)
	}
}
