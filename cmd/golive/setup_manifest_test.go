package main

// app.yml, the GitHub App manifest first-run setup registers, is checked
// against GitHub's documented manifest parameters and permission names,
// against the event handlers the server runs, and against the README.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	golive "github.com/golive-dev/golive"
	"github.com/golive-dev/golive/bot/appsetup"
	"github.com/golive-dev/golive/bot/config"
	"github.com/golive-dev/golive/handlers"
)

const (
	appYMLPath         = "../../app.yml"
	appManifestRefDir  = "../../testdata/schemas/github-app-manifest"
	webhooksSubsetPath = "../../testdata/github/openapi/golive-webhooks-subset.json"
)

// manifestParams is testdata's transcription of GitHub's manifest
// parameter tables.
type manifestParams struct {
	ManifestParameters []manifestParam `json:"manifest_parameters"`
	HookAttributesKeys []manifestParam `json:"hook_attributes_keys"`
}

type manifestParam struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

func loadManifestParams(t *testing.T) manifestParams {
	t.Helper()
	var p manifestParams
	if err := json.Unmarshal(appFile(t, filepath.Join(appManifestRefDir, "manifest-parameters.json")), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.ManifestParameters) < 10 || len(p.HookAttributesKeys) < 1 {
		t.Fatalf("manifest-parameters.json lists %d parameters", len(p.ManifestParameters))
	}
	return p
}

// permissionSchema compiles GitHub's app-permissions schema (permission
// name → allowed levels), lifted from its REST description.
func permissionSchema(t *testing.T) (*jsonschema.Schema, map[string]bool) {
	t.Helper()
	path := filepath.Join(appManifestRefDir, "app-permissions.from-openapi.json")
	sch := compileSchemaFile(t, path)
	var raw struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(appFile(t, path), &raw); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for k := range raw.Properties {
		names[k] = true
	}
	return sch, names
}

// checkAppManifest lists what GitHub's documentation does not allow in a
// manifest (a JSON value).
func checkAppManifest(t *testing.T, doc map[string]any) []string {
	t.Helper()
	params := loadManifestParams(t)
	perms, permNames := permissionSchema(t)
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	isURL := func(v any) bool {
		s, ok := v.(string)
		u, err := url.Parse(s)
		return ok && err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
	}
	checkType := func(where string, v any, typ string) {
		ok := false
		switch typ {
		case "string":
			_, ok = v.(string)
		case "boolean":
			_, ok = v.(bool)
		case "object":
			_, ok = v.(map[string]any)
		case "array", "array of strings":
			list, isList := v.([]any)
			ok = isList
			for _, e := range list {
				if _, isStr := e.(string); !isStr {
					ok = false
				}
			}
		default:
			t.Fatalf("manifest-parameters.json: unknown type %q", typ)
		}
		if !ok {
			bad("%s must be a %s, got %T", where, typ, v)
		}
	}
	checkKeys := func(where string, m map[string]any, documented []manifestParam) {
		known := map[string]manifestParam{}
		for _, p := range documented {
			known[p.Name] = p
			if _, present := m[p.Name]; p.Required && !present {
				bad("%s%s is required", where, p.Name)
			}
		}
		for k, v := range m {
			p, ok := known[k]
			if !ok {
				bad("%s%s is not a documented manifest parameter", where, k)
				continue
			}
			checkType(where+k, v, p.Type)
		}
	}
	checkKeys("", doc, params.ManifestParameters)
	if h, ok := doc["hook_attributes"].(map[string]any); ok {
		checkKeys("hook_attributes.", h, params.HookAttributesKeys)
		if !isURL(h["url"]) {
			bad("hook_attributes.url must be an absolute URL")
		}
	}
	for _, k := range []string{"url", "redirect_url", "setup_url"} {
		if v, present := doc[k]; present && !isURL(v) {
			bad("%s must be an absolute URL", k)
		}
	}
	if list, ok := doc["callback_urls"].([]any); ok {
		if len(list) > 10 {
			bad("callback_urls holds %d URLs, GitHub takes up to 10", len(list))
		}
		for _, u := range list {
			if !isURL(u) {
				bad("callback_urls must hold absolute URLs")
			}
		}
	}
	if p, ok := doc["default_permissions"].(map[string]any); ok {
		if err := perms.Validate(p); err != nil {
			bad("default_permissions: %v", err)
		}
		for k := range p {
			if !permNames[k] {
				bad("default_permissions.%s is not a GitHub App permission", k)
			}
		}
	}
	if list, ok := doc["default_events"].([]any); ok {
		seen := map[any]bool{}
		for _, e := range list {
			if seen[e] {
				bad("default_events lists %v twice", e)
			}
			seen[e] = true
		}
	}
	return problems
}

// appYMLDoc reads app.yml as the JSON value the manifest flow sends.
func appYMLDoc(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestAppManifestMatchesGitHubsDocumentation(t *testing.T) {
	data := appFile(t, appYMLPath)
	if string(data) != string(golive.AppManifestYAML) {
		t.Fatal("the binary's embedded app.yml differs from the file")
	}
	if problems := checkAppManifest(t, appYMLDoc(t, data)); len(problems) > 0 {
		t.Fatalf("app.yml:\n%s", strings.Join(problems, "\n"))
	}
	// What setup sends is app.yml with golive's URLs: the same check.
	m, err := appsetup.ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := m.For("https://golive.acme.test/base")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := sent.JSON()
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if problems := checkAppManifest(t, doc); len(problems) > 0 {
		t.Fatalf("the manifest setup sends:\n%s", strings.Join(problems, "\n"))
	}
	if !strings.Contains(string(js), `"url":"https://golive.acme.test/base/webhooks/github"`) || strings.Contains(string(js), "golive.example.com") {
		t.Errorf("the manifest setup sends keeps the placeholder: %s", js)
	}
	if len(doc) != len(appYMLDoc(t, data)) {
		t.Errorf("setup sends %d parameters, app.yml has %d", len(doc), len(appYMLDoc(t, data)))
	}

	// The check passes GitHub's own example and refuses broken manifests.
	var example map[string]any
	if err := json.Unmarshal(appFile(t, filepath.Join(appManifestRefDir, "docs-example.manifest.json")), &example); err != nil {
		t.Fatal(err)
	}
	if problems := checkAppManifest(t, example); len(problems) > 0 {
		t.Errorf("GitHub's documented example fails the check:\n%s", strings.Join(problems, "\n"))
	}
	for _, c := range []struct{ name, from, to string }{
		{"unknown parameter", "public: false", "public: false\nprivate: true"},
		{"unknown permission", "  contents: read", "  content: read"},
		{"unknown level", "  contents: read", "  contents: all"},
		{"relative hook URL", "  url: https://golive.example.com/webhooks/github", "  url: /webhooks/github"},
		{"no homepage", "url: https://github.com/golive-dev/golive\n", ""},
		{"public as text", "public: false", "public: \"no\""},
	} {
		broken := strings.Replace(string(data), c.from, c.to, 1)
		if broken == string(data) {
			t.Fatalf("%s: %q not found in app.yml", c.name, c.from)
		}
		if problems := checkAppManifest(t, appYMLDoc(t, []byte(broken))); len(problems) == 0 {
			t.Errorf("%s: the check accepted it", c.name)
		}
	}
}

// webhookEvents reads, from GitHub's webhook descriptions in testdata, each
// event's text about who receives it.
func webhookEvents(t *testing.T) map[string]string {
	t.Helper()
	var spec struct {
		Webhooks map[string]struct {
			Post struct {
				Summary    string `json:"summary"`
				Parameters []struct {
					Name    string `json:"name"`
					Example any    `json:"example"`
				} `json:"parameters"`
			} `json:"post"`
		} `json:"x-webhooks"`
	}
	if err := json.Unmarshal(appFile(t, webhooksSubsetPath), &spec); err != nil {
		t.Fatal(err)
	}
	events := map[string]string{}
	for key, w := range spec.Webhooks {
		for _, p := range w.Post.Parameters {
			if p.Name == "X-Github-Event" {
				name, _ := p.Example.(string)
				if name == "" {
					t.Fatalf("%s: no event name", key)
				}
				events[name] = w.Post.Summary
			}
		}
	}
	if len(events) < 10 {
		t.Fatalf("found %d webhook events in %s", len(events), webhooksSubsetPath)
	}
	return events
}

var subscribePermission = regexp.MustCompile(`To subscribe to this event, a GitHub App must have at least read-level access for the "([^"]+)" repository permission`)

// TestAppManifestEventsHaveHandlers keeps app.yml's events and the server's
// handlers in step, and checks each event's permission is granted.
func TestAppManifestEventsHaveHandlers(t *testing.T) {
	doc := appYMLDoc(t, appFile(t, appYMLPath))
	subscribed := map[string]bool{}
	for _, e := range doc["default_events"].([]any) {
		subscribed[e.(string)] = true
	}
	perms := doc["default_permissions"].(map[string]any)

	// The handlers the server runs, from the function it builds them with.
	handled := map[string]bool{}
	for _, h := range eventHandlers(&config.Config{}, nil, nil, nil, nil, nil) {
		for _, e := range h.Handles() {
			handled[e] = true
		}
	}
	// Not GitHub events: Slack requests and Action reports kept in the inbox.
	internal := map[string]bool{handlers.SlackCommandEvent: true, handlers.SlackConfirmEvent: true, handlers.ActionEventName: true}

	events := webhookEvents(t)
	// GitHub delivers these to every App, and refuses them in default_events.
	implicit := map[string]bool{"ping": true} // sent when the webhook is created
	for name, summary := range events {
		if strings.Contains(summary, "You cannot manually subscribe to this event") {
			implicit[name] = true
		}
	}
	for _, e := range []string{"installation", "installation_repositories"} {
		if !implicit[e] {
			t.Errorf("GitHub's description no longer says %s is delivered to every App", e)
		}
	}

	for e := range handled {
		_, known := events[e]
		switch {
		case internal[e], implicit[e]:
		case !known:
			t.Errorf("event %q has a handler but no description in %s: add it there (or to the internal events here, if it is not GitHub's)", e, webhooksSubsetPath)
		case !subscribed[e]:
			t.Errorf("event %q has a handler but app.yml does not subscribe to it", e)
		}
	}
	for e := range subscribed {
		switch {
		case implicit[e]:
			t.Errorf("app.yml lists %q, which every App receives and GitHub refuses in default_events", e)
		case internal[e]:
			t.Errorf("app.yml lists golive's internal event %q", e)
		case !handled[e]:
			t.Errorf("app.yml subscribes to %q, which has no handler", e)
		}
		summary, known := events[e]
		if !known {
			t.Errorf("app.yml subscribes to %q, which GitHub's descriptions in testdata do not know", e)
			continue
		}
		m := subscribePermission.FindStringSubmatch(summary)
		if m == nil {
			t.Errorf("%q: GitHub's description names no permission to subscribe with", e)
			continue
		}
		perm := strings.ReplaceAll(strings.ToLower(m[1]), " ", "_")
		if level, _ := perms[perm].(string); level != "read" && level != "write" {
			t.Errorf("app.yml subscribes to %q, which needs %q (%s) read access; it grants %q", e, m[1], perm, level)
		}
	}
}

// readmeTable returns the rows of the first Markdown table after heading in
// the README, each as its cells.
func readmeTable(t *testing.T, readme, heading string, nth int) [][]string {
	t.Helper()
	i := strings.Index(readme, heading)
	if i < 0 {
		t.Fatalf("README.md has no %q", heading)
	}
	var rows [][]string
	table := 0
	inTable := false
	for _, line := range strings.Split(readme[i+len(heading):], "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			break
		}
		if !strings.HasPrefix(line, "|") {
			if inTable {
				table++
				inTable = false
				if table > nth {
					break
				}
			}
			continue
		}
		inTable = true
		if table != nth {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		rows = append(rows, cells)
	}
	if len(rows) < 3 {
		t.Fatalf("README.md: table %d after %q has %d rows", nth, heading, len(rows))
	}
	return rows[2:] // header and separator
}

// TestAppManifestREADMETables keeps the README's permission and event
// tables equal to app.yml.
func TestAppManifestREADMETables(t *testing.T) {
	readme := string(appFile(t, "../../README.md"))
	doc := appYMLDoc(t, appFile(t, appYMLPath))
	const heading = "### The GitHub App's permissions and events"

	want := map[string]string{}
	for k, v := range doc["default_permissions"].(map[string]any) {
		want["`"+k+"`"] = v.(string)
	}
	got := map[string]string{}
	for _, row := range readmeTable(t, readme, heading, 0) {
		if len(row) != 3 || row[2] == "" {
			t.Errorf("permission row %q: want | permission | access | why |", row)
			continue
		}
		got[row[0]] = row[1]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("README permissions %v, app.yml %v", got, want)
	}

	var wantEvents, gotEvents []string
	for _, e := range doc["default_events"].([]any) {
		wantEvents = append(wantEvents, "`"+e.(string)+"`")
	}
	for _, row := range readmeTable(t, readme, heading, 1) {
		if len(row) != 2 || row[1] == "" {
			t.Errorf("event row %q: want | event | why |", row)
			continue
		}
		gotEvents = append(gotEvents, row[0])
	}
	sort.Strings(wantEvents)
	sort.Strings(gotEvents)
	if strings.Join(gotEvents, " ") != strings.Join(wantEvents, " ") {
		t.Errorf("README events %v, app.yml %v", gotEvents, wantEvents)
	}
}

// appFile reads a file of the repository.
func appFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
