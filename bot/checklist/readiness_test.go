package checklist

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	tp := smallTemplate(t)
	berlin := mustLoc(t, "Europe/Berlin")
	golive := time.Date(2026, 12, 1, 14, 0, 0, 0, berlin)
	announce := tp.Phases[1].Items[1]

	// Rendered with "servers" ticked; people then add items by hand.
	body, err := ApplyToBody("form", Render(tp, golive, map[string]bool{"servers": true}))
	if err != nil {
		t.Fatal(err)
	}
	body = strings.Replace(body, "<!-- golive:item:servers -->\n", "<!-- golive:item:servers -->\n  - [x] extra check by hand\n  - [ ] another by hand\n", 1)
	tasks := ParseTaskList(body)
	r := Evaluate(tp, golive, tasks)

	if r.Ready || r.Decision() != "NOT READY" {
		t.Errorf("Ready = %v, Decision = %q", r.Ready, r.Decision())
	}
	wantBlocking := []Task{
		{ID: "live", Text: "Maintenance mode off", Phase: "Go live!"},
		{ID: announce.ID, Text: "Announce — on chat", Owner: "@acme/comms", Phase: "Go live!"},
	}
	if !reflect.DeepEqual(r.Blocking, wantBlocking) {
		t.Errorf("Blocking = %+v\nwant %+v", r.Blocking, wantBlocking)
	}
	if len(r.Phases) != 2 {
		t.Fatalf("%d phases", len(r.Phases))
	}
	p0, p1 := r.Phases[0], r.Phases[1]
	if p0.Name != "Pre-launch" || p0.ID != "pre" || p0.Offset.String() != "T-7d" ||
		!p0.Due.Equal(time.Date(2026, 11, 24, 14, 0, 0, 0, berlin)) || p0.Due.Location() != berlin {
		t.Errorf("phase 0 = %+v", p0)
	}
	// servers done + manual "extra" done, of 2 template + 2 manual items;
	// the optional CDN item is open but not required.
	if p0.Done != 2 || p0.Total != 4 || len(p0.RequiredOpen) != 0 {
		t.Errorf("phase 0 progress = %d/%d, required open %+v", p0.Done, p0.Total, p0.RequiredOpen)
	}
	if p1.Done != 0 || p1.Total != 2 || !reflect.DeepEqual(p1.RequiredOpen, wantBlocking) {
		t.Errorf("phase 1 = %+v", p1)
	}
	if r.Done != 2 || r.Total != 6 {
		t.Errorf("overall %d/%d, want 2/6", r.Done, r.Total)
	}
	if got := r.BlockingDueBy(golive); len(got) != 0 {
		t.Errorf("BlockingDueBy(T) = %+v, want none (the open items are due at T+30m)", got)
	}
	if got := r.BlockingDueBy(golive.Add(30 * time.Minute)); len(got) != 2 {
		t.Errorf("BlockingDueBy(T+30m) = %+v", got)
	}

	// Ticking the required items (the optional one and a manual one stay
	// open) makes the go-live ready.
	body2, err := ApplyToBody(body, Render(tp, golive, map[string]bool{"servers": true, "live": true, announce.ID: true}))
	if err != nil {
		t.Fatal(err)
	}
	tasks2 := append(ParseTaskList(body2), Task{ID: "manual:x", Text: "open by hand", Manual: true, Phase: "Go live!"},
		Task{ID: "stale", Text: "from an older template", Checked: false})
	r2 := Evaluate(tp, golive, tasks2)
	if !r2.Ready || r2.Decision() != "READY FOR PRODUCTION" || len(r2.Blocking) != 0 {
		t.Errorf("r2 = %+v", r2)
	}
	if r2.Phases[1].Total != 3 || r2.Phases[1].Done != 2 {
		t.Errorf("manual item not counted in its phase: %+v", r2.Phases[1])
	}

	// No tasks at all (block not rendered yet): every required item blocks.
	r3 := Evaluate(tp, golive, nil)
	if r3.Ready || len(r3.Blocking) != 3 || r3.Total != 4 || r3.Done != 0 {
		t.Errorf("r3 = %+v", r3)
	}
}

func TestEvaluateDefaultSignOffBlocks(t *testing.T) {
	tp := Default()
	golive := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	// Everything required ticked except the sign-off.
	checked := map[string]bool{}
	for _, ph := range tp.Phases {
		for _, it := range ph.Items {
			checked[it.ID] = ph.ID != "sign-off"
		}
	}
	r := Evaluate(tp, golive, ParseTaskList(Render(tp, golive, checked)))
	if r.Ready {
		t.Fatal("ready without sign-off")
	}
	for _, b := range r.Blocking {
		if !strings.HasPrefix(b.ID, "signoff.") || b.Owner == "" || b.Phase != "Final sign-off: go/no-go" {
			t.Errorf("unexpected blocking item %+v", b)
		}
	}
	if len(r.Blocking) != 14 {
		t.Errorf("%d blocking items, want the 14 sign-off items", len(r.Blocking))
	}
}
