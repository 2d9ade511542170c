package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

// tally compares one kind of effect with what the run expects: each
// expected item exactly once.
type tally struct {
	name             string
	expected, got    int
	lost, duplicated int
	note             string
	examples         []string // a few of the items lost or duplicated
}

// item counts one expected item seen n times; what names it in examples.
func (t *tally) item(n int, what string) {
	t.expected++
	t.got += n
	if n == 0 {
		t.lost++
		t.example("lost " + what)
	}
	if n > 1 {
		t.duplicated += n - 1
		t.example(fmt.Sprintf("%s ×%d", what, n))
	}
}

// extra counts effects no expected item accounts for.
func (t *tally) extra(n int, what string) {
	if n == 0 {
		return
	}
	t.got += n
	t.duplicated += n
	t.example(fmt.Sprintf("unexpected %s ×%d", what, n))
}

func (t *tally) example(s string) {
	if len(t.examples) < 3 {
		t.examples = append(t.examples, s)
	}
}

// dbState is what golive's database says after the run.
type dbState struct {
	golives             map[int]store.GoLive // by issue number
	audit               map[int][]store.AuditEntry
	done, pending, dead int
	known               map[string]bool
	commandAudit        map[string]int // command text → entries
}

func readDB(ctx context.Context, url string, w *world, ids []string) (*dbState, error) {
	st, err := store.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	s := &dbState{golives: map[int]store.GoLive{}, audit: map[int][]store.AuditEntry{}}
	for _, g := range w.golives {
		gl, err := st.GetGoLive(ctx, repoID, g.number)
		if err != nil {
			continue // not tracked: every check on it reports the loss
		}
		s.golives[g.number] = gl
		if s.audit[g.number], err = st.Audit(ctx, gl.ID); err != nil {
			return nil, err
		}
	}
	if s.done, err = st.CountDeliveries(ctx, store.DeliveryDone); err != nil {
		return nil, err
	}
	if s.pending, err = st.CountDeliveries(ctx, store.DeliveryPending); err != nil {
		return nil, err
	}
	if s.dead, err = st.CountDeliveries(ctx, store.DeliveryDead); err != nil {
		return nil, err
	}
	audit, err := st.ListCommandAudit(ctx, repoName, 1<<30)
	if err != nil {
		return nil, err
	}
	s.commandAudit = map[string]int{}
	for _, a := range audit {
		s.commandAudit[a.Text]++
	}
	s.known = map[string]bool{}
	for i := 0; i < len(ids); i += 500 {
		known, err := st.KnownDeliveryIDs(ctx, ids[i:min(i+500, len(ids))])
		if err != nil {
			return nil, err
		}
		for k, v := range known {
			s.known[k] = v
		}
	}
	return s, nil
}

// pendingDeliveries counts the inbox rows still to be processed.
func pendingDeliveries(ctx context.Context, url string) (int, error) {
	st, err := store.Open(ctx, url)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return st.CountDeliveries(ctx, store.DeliveryPending)
}

// evaluate compares the fakes' records and golive's database with what the
// run sent. end is when the run stopped sending: reminders due by then are
// expected.
func evaluate(w *world, rec records, db *dbState, acked []string, end time.Time) []*tally {
	issues := map[int]issueOut{}
	for _, is := range rec.Issues {
		issues[is.Number] = is
	}
	inbox := &tally{name: "deliveries in golive's inbox (done)"}
	for _, id := range acked {
		if db.known[id] {
			inbox.item(1, id)
		} else {
			inbox.item(0, id)
		}
	}
	inbox.got = db.done
	if db.pending+db.dead > 0 {
		inbox.note = fmt.Sprintf("%d pending, %d dead-lettered", db.pending, db.dead)
		inbox.lost += db.pending + db.dead
	}
	checklists := &tally{name: "checklists written into go-live issues"}
	trackers := &tally{name: "tracker comments"}
	others := &tally{name: "other golive comments on go-live issues"}
	ticks := &tally{name: "ticks audited"}
	parents := &tally{name: "Slack thread parents"}
	reminders := &tally{name: "reminders in Slack (by metadata key)"}
	for _, g := range w.golives {
		is := issues[g.number]
		checklists.item(strings.Count(is.Body, checklistStart), fmt.Sprintf("#%d", g.number))
		n, other := 0, 0
		for _, c := range is.Comments {
			if c.User != botLogin {
				continue
			}
			if strings.HasPrefix(c.Head, trackerMarker) {
				n++
			} else {
				other++
			}
		}
		trackers.item(n, fmt.Sprintf("#%d", g.number))
		others.extra(other, fmt.Sprintf("#%d", g.number))
		byKey := map[string]int{}
		for _, a := range db.audit[g.number] {
			if a.Action == "tick" {
				byKey[strings.SplitN(a.DedupKey, ":", 2)[0]]++
			}
		}
		for _, id := range g.tickIDs {
			ticks.item(byKey[id], id)
			delete(byKey, id)
		}
		for k, n := range byKey {
			ticks.extra(n, k)
		}
		gl, tracked := db.golives[g.number]
		msgs := rec.Slack[g.channel]
		p := 0
		keys := map[string]int{}
		for _, m := range msgs {
			switch m.EventType {
			case "golive_thread":
				p++
			case "golive_reminder":
				keys[m.Key]++
			}
		}
		parents.item(p, fmt.Sprintf("#%d", g.number))
		if !tracked {
			for _, o := range offsets {
				reminders.item(0, fmt.Sprintf("#%d@%s", g.number, o.name))
			}
			continue
		}
		for _, o := range offsets {
			due := w.at.Add(o.d)
			key := fmt.Sprintf("%d@%s", gl.ID, o.name)
			if due.Before(gl.CreatedAt) || due.After(end) {
				// Never due (planned after it) or not yet: at most once.
				if keys[key] > 1 {
					reminders.extra(keys[key]-1, key)
				}
				delete(keys, key)
				continue
			}
			reminders.item(keys[key], key)
			delete(keys, key)
		}
		for k, n := range keys {
			reminders.extra(n, k)
		}
	}
	replies := &tally{name: "replies to command comments"}
	dispatches := &tally{name: "workflow dispatches of deploy commands"}
	byCID := map[string]int{}
	for _, d := range rec.Dispatches {
		byCID[d.CorrelationID]++
	}
	for _, c := range w.commands {
		n := 0
		for _, cm := range issues[c.number].Comments {
			if cm.User == botLogin {
				n++
			}
		}
		replies.item(n, fmt.Sprintf("#%d %q", c.number, c.text))
		if c.deploy {
			// golive keys a command's dispatch by its delivery or, since
			// a delivery may come again under a new id, by its comment.
			n := 0
			for _, cid := range []string{correlationID(c.delivery), correlationID(fmt.Sprintf("comment-%d", c.commentID))} {
				n += byCID[cid]
				delete(byCID, cid)
			}
			dispatches.item(n, fmt.Sprintf("#%d", c.number))
		}
	}
	for cid, n := range byCID {
		dispatches.extra(n, cid)
	}
	// The command audit log names no comment: compare the entries per
	// command text.
	audit := &tally{name: "command audit entries"}
	perText := map[string]int{}
	for _, c := range w.commands {
		perText[c.text]++
	}
	texts := make([]string, 0, len(perText))
	for t := range perText {
		texts = append(texts, t)
	}
	sort.Strings(texts)
	for _, text := range texts {
		want, got := perText[text], db.commandAudit[text]
		audit.expected += want
		audit.got += got
		if got < want {
			audit.lost += want - got
			audit.example(fmt.Sprintf("%q %d of %d", text, got, want))
		}
		if got > want {
			audit.duplicated += got - want
			audit.example(fmt.Sprintf("%q %d of %d", text, got, want))
		}
	}
	return []*tally{inbox, checklists, trackers, others, ticks, replies, dispatches, audit, parents, reminders}
}

func printTallies(out io.Writer, ts []*tally) (lost, dup int) {
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "effect\texpected\tgot\tlost\tduplicated\t")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", t.name, t.expected, t.got, t.lost, t.duplicated, t.note)
		lost += t.lost
		dup += t.duplicated
	}
	tw.Flush()
	for _, t := range ts {
		if len(t.examples) > 0 {
			fmt.Fprintf(out, "  %s: %s\n", t.name, strings.Join(t.examples, "; "))
		}
	}
	return lost, dup
}

func passes(ts []*tally) bool {
	for _, t := range ts {
		if t.lost > 0 || t.duplicated > 0 {
			return false
		}
	}
	return true
}

// grepSecrets looks for each secret (and each long line of the private
// key) in the files; it returns the hits as "file: which".
func grepSecrets(files []string, secrets map[string]string, privateKey string) []string {
	needles := map[string]string{}
	for name, s := range secrets {
		if s != "" {
			needles[name] = s
		}
	}
	for i, line := range strings.Split(privateKey, "\n") {
		if line = strings.TrimSpace(line); len(line) > 20 {
			needles[fmt.Sprintf("private key line %d", i+1)] = line
		}
	}
	var hits []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			hits = append(hits, f+": unreadable: "+err.Error())
			continue
		}
		var found []string
		for name, s := range needles {
			if strings.Contains(string(b), s) {
				found = append(found, name)
			}
		}
		sort.Strings(found)
		for _, name := range found {
			hits = append(hits, f+": "+name)
		}
	}
	return hits
}

// summary is one line of what is still lost or duplicated.
func summary(ts []*tally) string {
	var parts []string
	for _, t := range ts {
		if t.lost > 0 || t.duplicated > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d lost, %d duplicated", t.name, t.lost, t.duplicated))
		}
	}
	return strings.Join(parts, "; ")
}

// logStats counts the deliveries a golive's logs say it processed, and how
// many of those on a second or later attempt (after a kill, a failure or a
// lease that ran out).
func logStats(files []string) (processed, again, maxAttempt int) {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, `"msg":"delivery processed"`) {
				continue
			}
			processed++
			if !strings.Contains(line, `"attempt":1,`) {
				again++
			}
			if _, rest, ok := strings.Cut(line, `"attempt":`); ok {
				n, _ := strconv.Atoi(strings.SplitN(rest, ",", 2)[0])
				maxAttempt = max(maxAttempt, n)
			}
		}
	}
	return processed, again, maxAttempt
}
