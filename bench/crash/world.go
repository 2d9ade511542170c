package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The repository, installation and people of a run.
const (
	repoName       = "acme/api"
	repoID         = 5005
	installationID = 42
	commander      = "walt" // write role: runs every command
	checklistStart = "<!-- golive:checklist:start -->"
	trackerMarker  = "<!-- golive:tracker -->"
	botLogin       = "golive[bot]"
)

// offsets are the reminders.offsets of the run's .github/golive.yml: with a
// go-live a few minutes after the start, every one falls due during the run.
var offsets = []struct {
	name string
	d    time.Duration
}{{"T-2m", -2 * time.Minute}, {"T-1m", -time.Minute}, {"T+1m", time.Minute}}

// golivesYML is the run's configuration: short reminder offsets, a small
// checklist of its own (phases due at T-2m and T+1m, at reminders), the
// staging and qa environments.
const golivesYML = `version: 1
timezone: UTC
reminders:
  offsets: [T-2m, T-1m, T+1m]
environments:
  staging:
    workflow: deploy.yml
  qa:
    workflow: deploy.yml
template:
  extend: false
  phases:
    - name: Prepare
      offset: T-2m
      items:
        - text: Freeze the release branch
        - text: Dry-run the migrations
        - text: Announce the window
    - name: Launch
      offset: T+1m
      items:
        - text: Deploy
        - text: Smoke checks
        - text: Sign-off
`

// deployInputs are the inputs golive passes to a deploy workflow.
var deployInputs = []string{"environment", "ref", "sha", "golive_issue", "requested_by", "correlation_id"}

// delivery is one webhook the harness sends, as GitHub would.
type delivery struct {
	id     string
	event  string
	action string
	body   []byte
	kind   string // what it is for the report: plan, tick, command, ping, noise
}

// golive is one go-live issue of the run.
type golive struct {
	number  int
	channel string // Slack channel ID (the form names it by name)
	ticks   int    // tick deliveries sent
	tickIDs []string
}

// command is one /golive comment, alone on its issue.
type command struct {
	number    int
	text      string
	commentID int64
	delivery  string
	deploy    bool
}

// world is what a run sends and what it expects.
type world struct {
	root      string
	at        time.Time // the go-lives' time
	golives   []*golive
	commands  []*command
	plan      []*delivery // planning events, sent first
	rest      []*delivery // everything else but ticks, shuffled
	templates map[string]map[string]any
	ticksPer  int
}

func loadTemplate(root, name string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(root, "testdata", "github", "webhooks", name))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// clone deep-copies a payload template.
func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func toRepo(p map[string]any) {
	p["installation"] = map[string]any{"id": installationID, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="}
	repo := p["repository"].(map[string]any)
	repo["id"], repo["full_name"], repo["name"] = repoID, repoName, "api"
	if owner, ok := repo["owner"].(map[string]any); ok {
		owner["login"] = "acme"
	}
}

func formBody(at time.Time, n int, channel string) string {
	return "### Go-live time\n\n" + at.UTC().Format("2006-01-02 15:04") + "\n\n### Timezone\n\nUTC\n\n### Environment\n\nqa\n\n" +
		fmt.Sprintf("### Release\n\nv1.%d.0\n\n### Slack channel\n\n#%s\n\n### Release captain\n\n@alice\n\n### Notes\n\n_No response_\n", n, channel)
}

func channelName(n int) string { return fmt.Sprintf("gl-%04d", n) }
func channelID(n int) string   { return fmt.Sprintf("CGL%06d", n) }

// correlationID is the id golive gives the dispatch of a command whose
// request has the delivery id delivery (bot/deploy's Request.correlationID).
func correlationID(delivery string) string {
	sum := sha256.Sum256([]byte("github\x00" + delivery))
	return "gl-" + hex.EncodeToString(sum[:6])
}

// newWorld draws the run's traffic: n deliveries in all, ticks included.
func newWorld(root string, n, golives, ticksPer int, at time.Time, rng *rand.Rand, runID string) (*world, error) {
	w := &world{root: root, at: at, templates: map[string]map[string]any{}, ticksPer: ticksPer}
	for _, name := range []string{"issues/opened.json", "issue_comment/created.json", "ping/event.json"} {
		t, err := loadTemplate(root, name)
		if err != nil {
			return nil, err
		}
		w.templates[name] = t
	}
	seq := 0
	id := func(kind string) string { seq++; return fmt.Sprintf("%s-%s-%06d", runID, kind, seq) }

	for i := 1; i <= golives; i++ {
		g := &golive{number: i, channel: channelID(i)}
		w.golives = append(w.golives, g)
		action := "opened"
		if i%3 == 0 {
			action = "labeled"
		}
		w.plan = append(w.plan, &delivery{id: id("plan"), event: "issues", action: action, kind: "plan",
			body: w.issueEvent(action, i, formBody(at, i, channelName(i)), nil, []string{"golive"}, "alice", time.Now().Add(-time.Hour))})
	}
	left := n - golives*(1+ticksPer)
	if left < 0 {
		return nil, fmt.Errorf("-n %d is too small for %d go-lives with %d ticks each", n, golives, ticksPer)
	}
	commands := left * 15 / 100
	texts := []struct {
		text   string
		share  int
		deploy bool
	}{{"/golive deploy staging", 40, true}, {"/golive lock qa", 15, false}, {"/golive unlock qa", 15, false},
		{"/golive status", 20, false}, {"/golive help", 10, false}}
	for i := 0; i < commands; i++ {
		pick := rng.IntN(100)
		t := texts[len(texts)-1]
		for _, c := range texts {
			if pick < c.share {
				t = c
				break
			}
			pick -= c.share
		}
		w.commands = append(w.commands, &command{number: golives + 1 + i, text: t.text, deploy: t.deploy, delivery: id("cmd")})
	}
	noise := left - commands
	for i := 0; i < noise; i++ {
		switch r := rng.IntN(4); {
		case r < 2 || len(w.commands) == 0:
			p := clone(w.templates["ping/event.json"])
			p["hook_id"] = 1000 + i
			b, _ := json.Marshal(p)
			w.rest = append(w.rest, &delivery{id: id("ping"), event: "ping", body: b, kind: "ping"})
		case r == 2:
			// An event on an issue that is no go-live: golive looks and does nothing.
			c := w.commands[rng.IntN(len(w.commands))]
			w.rest = append(w.rest, &delivery{id: id("issue"), event: "issues", action: "edited", kind: "noise",
				body: w.issueEvent("edited", c.number, "Please look at this.", nil, nil, "carol", time.Now())})
		default:
			// A comment that is no command.
			c := w.commands[rng.IntN(len(w.commands))]
			w.rest = append(w.rest, &delivery{id: id("comment"), event: "issue_comment", action: "created", kind: "noise",
				body: w.commentEvent(c.number, 1, "Looks good to me.", "carol")})
		}
	}
	rng.Shuffle(len(w.rest), func(i, j int) { w.rest[i], w.rest[j] = w.rest[j], w.rest[i] })
	return w, nil
}

// finishCommands builds the command deliveries once the fake holds their
// comments (their ids come from the fake), and mixes them into the rest.
func (w *world) finishCommands(ids []int64, rng *rand.Rand) {
	for i, c := range w.commands {
		c.commentID = ids[i]
		w.rest = append(w.rest, &delivery{id: c.delivery, event: "issue_comment", action: "created", kind: "command",
			body: w.commentEvent(c.number, c.commentID, c.text, commander)})
	}
	rng.Shuffle(len(w.rest), func(i, j int) { w.rest[i], w.rest[j] = w.rest[j], w.rest[i] })
}

func (w *world) issueEvent(action string, number int, body string, oldBody *string, labels []string, sender string, updated time.Time) []byte {
	p := clone(w.templates["issues/opened.json"])
	p["action"] = action
	toRepo(p)
	is := p["issue"].(map[string]any)
	is["number"], is["body"], is["title"] = number, body, fmt.Sprintf("Go-live %d", number)
	is["updated_at"] = updated.UTC().Format(time.RFC3339)
	ls := []any{}
	for _, l := range labels {
		ls = append(ls, map[string]any{"id": 1, "name": l, "color": "0e8a16", "default": false})
	}
	is["labels"] = ls
	if action == "labeled" && len(labels) > 0 {
		p["label"] = ls[0]
	}
	p["sender"].(map[string]any)["login"] = sender
	if oldBody != nil {
		p["changes"] = map[string]any{"body": map[string]any{"from": *oldBody}}
	}
	b, _ := json.Marshal(p)
	return b
}

func (w *world) commentEvent(number int, commentID int64, text, sender string) []byte {
	p := clone(w.templates["issue_comment/created.json"])
	p["action"] = "created"
	toRepo(p)
	is := p["issue"].(map[string]any)
	is["number"], is["title"], is["body"] = number, fmt.Sprintf("Task %d", number), "Please look at this."
	delete(is, "pull_request")
	c := p["comment"].(map[string]any)
	c["id"], c["body"] = commentID, text
	c["user"].(map[string]any)["login"] = sender
	c["user"].(map[string]any)["type"] = "User"
	p["sender"].(map[string]any)["login"] = sender
	p["sender"].(map[string]any)["type"] = "User"
	b, _ := json.Marshal(p)
	return b
}

// tickBodies returns the bodies of k successive ticks of body's first open
// boxes.
func tickBodies(body string, k int) []string {
	out := []string{body}
	for i := 0; i < k; i++ {
		next := strings.Replace(out[i], "- [ ] ", "- [x] ", 1)
		if next == out[i] {
			break
		}
		out = append(out, next)
	}
	return out
}
