package checklist

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzGolive = time.Date(2026, 3, 29, 2, 30, 0, 0, time.FixedZone("X", 3600))

// checkedFrom picks checked states for t's items from seed.
func checkedFrom(t Template, seed uint64) map[string]bool {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := map[string]bool{}
	for _, it := range t.Items() {
		out[it.ID] = rng.IntN(2) == 1
	}
	return out
}

var appendedRE = regexp.MustCompile("^(\r?\n)?([`~]{3,}|-->)?(\r?\n)*$")

// checkRoundTrip renders t into body and checks that reading it back gives
// exactly t's items with their states, and that nothing outside the block
// changed.
func checkRoundTrip(t *testing.T, tp Template, body string, seed uint64) {
	t.Helper()
	checked := checkedFrom(tp, seed)
	rendered := Render(tp, fuzzGolive, checked)
	out, err := ApplyToBody(body, rendered)
	if err != nil {
		lines := splitLines(body)
		b := findBlock(lines, body)
		switch {
		case errors.Is(err, ErrUnterminatedBlock) && b.found && !b.terminated:
		case errors.Is(err, ErrBodyTooLarge) && utf8.RuneCountInString(body)+utf8.RuneCountInString(rendered) > MaxBodyChars-1000:
		default:
			t.Fatalf("ApplyToBody: %v", err)
		}
		return
	}

	// The template's items, in order, with their states; nothing else.
	tasks := ParseTaskList(out)
	var want []Task
	for _, ph := range tp.Phases {
		for _, it := range ph.Items {
			want = append(want, Task{ID: it.ID, Text: it.Text, Owner: it.Owner, Checked: checked[it.ID], Phase: ph.Name})
		}
	}
	if len(tasks) != len(want) {
		t.Fatalf("read back %d tasks, want %d:\n%s", len(tasks), len(want), dump(tasks))
	}
	for i := range want {
		if tasks[i] != want[i] {
			t.Fatalf("task %d = %+v, want %+v", i, tasks[i], want[i])
		}
	}

	// Outside the block, the body is unchanged.
	eol := "\n"
	if strings.Contains(body, "\r") {
		eol = "\r\n"
	}
	core := strings.ReplaceAll(strings.TrimSuffix(rendered, "\n"), "\n", eol)
	i := strings.Index(out, core)
	if i < 0 {
		t.Fatalf("the rendered block is not in the result")
	}
	prefix, suffix := out[:i], out[i+len(core):]
	if b := findBlock(splitLines(body), body); b.found {
		if !strings.HasPrefix(body, prefix) || !strings.HasSuffix(body, suffix) || len(prefix)+len(suffix) > len(body) {
			t.Fatalf("text outside the replaced block changed:\nbody %q\nout  %q", body, out)
		}
	} else {
		if !strings.HasPrefix(prefix, body) || !appendedRE.MatchString(prefix[len(body):]) || suffix != eol {
			t.Fatalf("appending changed the body or added more than a separator:\nbody %q\nout  %q", body, out)
		}
	}

	// Applying again is a no-op; applying other states changes only the block.
	if again, err := ApplyToBody(out, rendered); err != nil || again != out {
		t.Fatalf("second ApplyToBody changed the body (%v)", err)
	}
	other := Render(tp, fuzzGolive, checkedFrom(tp, seed+1))
	out2, err := ApplyToBody(out, other)
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			return
		}
		t.Fatalf("ApplyToBody with other states: %v", err)
	}
	if !strings.HasPrefix(out2, prefix) || !strings.HasSuffix(out2, suffix) {
		t.Fatalf("re-rendering changed text outside the block")
	}
	before, after := ParseTaskList(out), ParseTaskList(out2)
	for _, c := range Diff(before, after) {
		if checked[c.ID] == c.Checked {
			t.Fatalf("Diff reports %+v, which did not change", c)
		}
	}
}

func FuzzParseTaskList(f *testing.F) {
	small, err := Parse([]byte(smallYAML))
	if err != nil {
		f.Fatal(err)
	}
	def := Default()
	applied, _ := ApplyToBody("form\r\n", Render(small, fuzzGolive, nil))
	for _, seed := range []string{
		"",
		"### Service\n\napi",
		"a\r\nb\r\n",
		"a\rb\r",
		"```\n" + MarkerStart + "\n" + MarkerEnd + "\n",
		"~~~~\n```\n",
		"<!--\n" + MarkerStart + "\n",
		"<!-- x -->\n" + MarkerStart + "\n- [ ] x\n" + MarkerEnd + "\ntail",
		MarkerStart + "\n- [x] a <!-- golive:item:a -->\n  * [X] nested\n> - [ ] quoted\n```\n- [ ] code\n" + MarkerEnd + "\n",
		MarkerStart,
		MarkerEnd + "\n" + MarkerStart + "\r\n" + MarkerEnd,
		applied,
		"- [x] " + strings.Repeat("é", 100),
		"    ```\n- [ ] x",
		"```a`b\n" + MarkerStart + "\n" + MarkerEnd,
	} {
		f.Add(seed, uint64(len(seed)), false)
		f.Add(seed, uint64(7), true)
	}
	f.Fuzz(func(t *testing.T, body string, seed uint64, useDefault bool) {
		tasks := ParseTaskList(body)
		seen := map[string]bool{}
		for _, tk := range tasks {
			if tk.ID == "" || seen[tk.ID] {
				t.Fatalf("empty or duplicate id in %+v", tasks)
			}
			seen[tk.ID] = true
		}
		_ = Diff(tasks, ParseTaskList(body+"\n- [x] more"))
		tp := small
		if useDefault {
			tp = def
		}
		_ = Evaluate(tp, fuzzGolive, tasks)
		checkRoundTrip(t, tp, body, seed)
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(smallYAML))
	f.Add(DefaultYAML())
	f.Add([]byte("phases:\n  - {name: A, offset: T-1d, items: [{text: x, titel: y}]}\n"))
	f.Add([]byte("phases: &a [*a]\n"))
	f.Add([]byte("a: &a [*a, *a]\nphases: []\n"))
	f.Add([]byte("phases:\n  - name: A\n    offset: T+0\n    items:\n      - text: \"\\u00e9 <b>x</b> `y` [z](w)\"\n"))
	f.Add([]byte("---\n...\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := Parse(data)
		if err != nil {
			if err.Error() == "" || !strings.HasPrefix(err.Error(), "parse checklist template: ") {
				t.Fatalf("bad error %q", err)
			}
			if len(tp.Phases) != 0 {
				t.Fatalf("error with a template")
			}
			return
		}
		if len(tp.Phases) == 0 {
			t.Fatal("no phases and no error")
		}
		ids := map[string]bool{}
		for _, ph := range tp.Phases {
			if ph.Name == "" || len(ph.Items) == 0 || ids[ph.ID] || ph.ID == "" {
				t.Fatalf("invalid phase %+v", ph)
			}
			ids[ph.ID] = true
			if _, err := ParseOffset(ph.Offset.String()); err != nil {
				t.Fatalf("offset %v does not round-trip: %v", ph.Offset, err)
			}
			for _, it := range ph.Items {
				if it.Text == "" || it.ID == "" || ids[it.ID] {
					t.Fatalf("invalid item %+v", it)
				}
				ids[it.ID] = true
			}
		}
		// Any valid template round-trips through an issue body.
		checkRoundTrip(t, tp, "form", uint64(len(data)))
	})
}

func FuzzParseOffset(f *testing.F) {
	for _, s := range []string{"T-7d", "T+10m", "T-0", "T-1d12h30m", "T-90m", "T+3660d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOffset(s)
		if err != nil {
			return
		}
		back, err := ParseOffset(o.String())
		if err != nil || back != o {
			t.Fatalf("%q -> %q does not round-trip: %v", s, o.String(), err)
		}
		_ = o.At(fuzzGolive)
	})
}
