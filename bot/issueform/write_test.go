package issueform

import (
	"strings"
	"testing"
)

func TestWithAnswers(t *testing.T) {
	a := Answers{LabelTime: "2026-12-01 14:00", LabelEnvironment: "staging"}

	// No form yet: the person's text stays first, the sections follow it.
	got := WithAnswers("Please ship it.\n", a)
	if !strings.HasPrefix(got, "Please ship it.\n") || !strings.Contains(got, "### Go-live time\n\n2026-12-01 14:00\n") {
		t.Fatalf("added sections: %q", got)
	}
	// With golive's block present, the sections go before it.
	withBlock := WithAnswers("Text.\n\n<!-- golive:checklist:start -->\n### Pre-launch\n- [ ] x\n<!-- golive:checklist:end -->\n", a)
	if i, j := strings.Index(withBlock, "### Go-live time"), strings.Index(withBlock, "<!-- golive:checklist:start -->"); i < 0 || i > j {
		t.Fatalf("sections not before the checklist block:\n%s", withBlock)
	}
	if b := Parse(withBlock); b.Get(LabelEnvironment) != "staging" {
		t.Fatalf("the checklist block ran into an answer: %q", b.Get(LabelEnvironment))
	}
	back := Parse(got)
	if back.Get(LabelTime) != "2026-12-01 14:00" || back.Get(LabelEnvironment) != "staging" {
		t.Fatalf("read back %v", back)
	}

	// An existing form: answers replaced in place, other sections kept.
	form := "### Go-live time\n\n2026-11-01 09:00\n\n### Timezone\n\nEurope/Berlin\n\n### Environment\n\nproduction\n\n### Notes\n\nbe careful\n"
	got = WithAnswers(form, a)
	back = Parse(got)
	if back.Get(LabelTime) != "2026-12-01 14:00" || back.Get(LabelEnvironment) != "staging" ||
		back.Get(LabelTimezone) != "Europe/Berlin" || back.Get(LabelNotes) != "be careful" {
		t.Fatalf("replaced: %v\n%s", back, got)
	}
	if strings.Count(got, "### Go-live time") != 1 {
		t.Fatalf("section duplicated:\n%s", got)
	}
	// Empty answers change nothing.
	if WithAnswers(form, Answers{}) != form {
		t.Fatal("empty answers changed the body")
	}
}
