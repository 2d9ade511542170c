package main

// Tests of the golive timeline and golive validate subcommands, run in the
// test process through run().

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/golive-dev/golive/bot/checklist"
)

// runCLI runs golive with args and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, envconfig.MapLookuper(nil), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeFile writes content to a new file in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// timelineTables splits timeline output into its two tables (header row
// first), failing the test when they are not where expected.
func timelineTables(t *testing.T, out string) (phases, reminders []string) {
	t.Helper()
	_, rest, ok := strings.Cut(out, "\nChecklist phases\n")
	if !ok {
		t.Fatalf("no checklist phases section in:\n%s", out)
	}
	phaseText, reminderText, ok := strings.Cut(rest, "\n\nReminders (posted to the go-live's Slack thread)\n")
	if !ok {
		t.Fatalf("no reminder schedule section in:\n%s", out)
	}
	phases = strings.Split(phaseText, "\n")
	reminders = strings.Split(strings.TrimSuffix(reminderText, "\n"), "\n")
	return phases, reminders
}

// row returns the table row whose first cell is first and that contains
// all of cells; it fails the test when there is none.
func row(t *testing.T, table []string, first string, cells ...string) string {
	t.Helper()
	for _, r := range table {
		if strings.Fields(r)[0] != first {
			continue
		}
		match := true
		for _, c := range cells {
			match = match && strings.Contains(r, c)
		}
		if match {
			return r
		}
	}
	t.Fatalf("no row %q with %q in:\n%s", first, cells, strings.Join(table, "\n"))
	return ""
}

// assertAligned checks that every row of a table has each column the
// header names starting at the same character position as the header.
func assertAligned(t *testing.T, table []string, columns ...string) {
	t.Helper()
	header := []rune(table[0])
	for _, col := range columns {
		at := strings.Index(table[0], col)
		if at < 0 {
			t.Fatalf("no column %q in header %q", col, table[0])
		}
		pos := len([]rune(table[0][:at]))
		for _, r := range table[1:] {
			rs := []rune(r)
			if len(rs) <= pos || rs[pos] == ' ' || rs[pos-1] != ' ' {
				t.Errorf("column %q (at %d in %q) not aligned in row %q", col, pos, string(header), r)
			}
		}
	}
}

func TestTimelineBerlinAcrossDSTChange(t *testing.T) {
	// Summer time starts in Berlin on 2026-03-29: the go-live is in CEST
	// (UTC+2), a week before it is CET (UTC+1).
	code, out, errOut := runCLI(t, "timeline", "--at", "2026-03-30 10:00", "--tz", "Europe/Berlin")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "Go-live Mon 2026-03-30 10:00 CEST (Europe/Berlin) = Mon 2026-03-30 08:00 UTC\nTemplate: built-in checklist, 26 phases\n") {
		t.Errorf("header:\n%s", out)
	}
	phases, reminders := timelineTables(t, out)
	if len(phases) != 1+len(checklist.Default().Phases) {
		t.Errorf("%d phase rows, want a header and %d phases", len(phases), len(checklist.Default().Phases))
	}
	assertAligned(t, phases, "PHASE", "DUE (Europe/Berlin)", "DUE (UTC)")
	assertAligned(t, reminders, "DUE (Europe/Berlin)", "DUE (UTC)")

	// T-7d: the same wall-clock time seven calendar days earlier, so 09:00
	// UTC while the go-live itself is at 08:00 UTC.
	row(t, phases, "T-7d", "Pre-launch: infrastructure", "Mon 2026-03-23 10:00 CET", "Mon 2026-03-23 09:00 UTC")
	row(t, phases, "T-3d", "QA: functional testing", "Fri 2026-03-27 10:00 CET", "Fri 2026-03-27 09:00 UTC")
	row(t, phases, "T-1d", "Rollback procedure", "Sun 2026-03-29 10:00 CEST", "Sun 2026-03-29 08:00 UTC")
	// Hours and minutes are elapsed time.
	row(t, phases, "T-2h", "Final checks", "Mon 2026-03-30 08:00 CEST", "Mon 2026-03-30 06:00 UTC")
	row(t, phases, "T+30m", "Go live", "Mon 2026-03-30 10:30 CEST", "Mon 2026-03-30 08:30 UTC")
	row(t, phases, "T+1d", "Handoff", "Tue 2026-03-31 10:00 CEST", "Tue 2026-03-31 08:00 UTC")

	var offsets []string
	for _, r := range reminders[1:] {
		offsets = append(offsets, strings.Fields(r)[0])
	}
	want := "T-7d T-3d T-1d T-2h T-1h T-30m T-20m T-10m T+10m T+30m " +
		"T+45m T+1h T+1h15m T+1h30m T+1h45m T+2h T+2h15m T+2h30m T+2h45m T+3h T+3h15m T+3h30m T+3h45m T+4h " +
		"T+5h T+6h T+7h T+8h T+9h T+10h T+11h T+12h T+13h T+14h T+15h T+16h T+17h T+18h T+19h T+20h T+21h T+22h T+23h " +
		"T+1d T+2d T+3d T+4d T+5d T+6d T+7d"
	if got := strings.Join(offsets, " "); got != want {
		t.Errorf("reminder offsets:\n got %s\nwant %s", got, want)
	}
	row(t, reminders, "T-7d", "Mon 2026-03-23 10:00 CET", "Mon 2026-03-23 09:00 UTC")
	row(t, reminders, "T-10m", "Mon 2026-03-30 09:50 CEST", "Mon 2026-03-30 07:50 UTC")
	row(t, reminders, "T+4h", "Mon 2026-03-30 14:00 CEST", "Mon 2026-03-30 12:00 UTC")
	row(t, reminders, "T+23h", "Tue 2026-03-31 09:00 CEST", "Tue 2026-03-31 07:00 UTC")
	row(t, reminders, "T+7d", "Mon 2026-04-06 10:00 CEST", "Mon 2026-04-06 08:00 UTC")
}

func TestTimelineBerlinFallBack(t *testing.T) {
	// Summer time ends in Berlin on 2026-10-25.
	code, out, errOut := runCLI(t, "timeline", "--at", "2026-10-26 10:00", "--tz", "Europe/Berlin")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	phases, reminders := timelineTables(t, out)
	row(t, phases, "T-7d", "Mon 2026-10-19 10:00 CEST", "Mon 2026-10-19 08:00 UTC")
	row(t, phases, "T-1d", "Sun 2026-10-25 10:00 CET", "Sun 2026-10-25 09:00 UTC")
	row(t, reminders, "T-2h", "Mon 2026-10-26 08:00 CET", "Mon 2026-10-26 07:00 UTC")
}

func TestTimelineNewYork(t *testing.T) {
	// US daylight saving time starts on 2026-03-08.
	code, local, errOut := runCLI(t, "timeline", "--at", "2026-03-09 09:00", "--tz", "America/New_York")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(local, "Go-live Mon 2026-03-09 09:00 EDT (America/New_York) = Mon 2026-03-09 13:00 UTC\n") {
		t.Errorf("header:\n%s", local)
	}
	phases, reminders := timelineTables(t, local)
	assertAligned(t, phases, "PHASE", "DUE (America/New_York)", "DUE (UTC)")
	row(t, phases, "T-7d", "Mon 2026-03-02 09:00 EST", "Mon 2026-03-02 14:00 UTC")
	row(t, phases, "T-1d", "Sun 2026-03-08 09:00 EDT", "Sun 2026-03-08 13:00 UTC")
	row(t, reminders, "T-3d", "Fri 2026-03-06 09:00 EST", "Fri 2026-03-06 14:00 UTC")
	row(t, reminders, "T+1h", "Mon 2026-03-09 10:00 EDT", "Mon 2026-03-09 14:00 UTC")

	// The same moment in RFC 3339, in any offset, gives the same timeline.
	for _, at := range []string{"2026-03-09T13:00:00Z", "2026-03-09T14:00:00+01:00", "2026-03-09T09:00:00-04:00"} {
		code, out, errOut := runCLI(t, "timeline", "--tz", "America/New_York", "--at", at)
		if code != 0 || out != local {
			t.Errorf("--at %s: exit %d, stderr %q, output differs from the local form:\n%s", at, code, errOut, out)
		}
	}
}

func TestTimelineDefaultsToUTC(t *testing.T) {
	code, out, errOut := runCLI(t, "timeline", "--at", "2026-12-01 14:00")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(out, "Go-live Tue 2026-12-01 14:00 UTC (UTC) = Tue 2026-12-01 14:00 UTC\n") {
		t.Errorf("header:\n%s", out)
	}
	phases, _ := timelineTables(t, out)
	row(t, phases, "T-7d", "Tue 2026-11-24 14:00 UTC")
}

const templateFile = `phases:
  - name: Freeze
    offset: T-1d2h
    items:
      - text: Code freeze announced
  - name: Launch
    offset: T-0
    items:
      - text: Flip the switch
        owner: "@octo/ops"
      - text: Tweet about it
        required: false
`

func TestTimelineTemplateFile(t *testing.T) {
	path := writeFile(t, "template.yml", templateFile)
	code, out, errOut := runCLI(t, "timeline", "--at", "2026-03-30 10:00", "--tz", "Europe/Berlin", "--template", path)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Template: "+path+" (checklist template), 2 phases\n") {
		t.Errorf("template line missing:\n%s", out)
	}
	phases, reminders := timelineTables(t, out)
	if len(phases) != 3 {
		t.Fatalf("want a header and 2 phases:\n%s", strings.Join(phases, "\n"))
	}
	assertAligned(t, phases, "PHASE", "DUE (Europe/Berlin)", "DUE (UTC)")
	// T-1d2h: two hours before the same time on the day before.
	row(t, phases, "T-1d2h", "Freeze", "Sun 2026-03-29 08:00 CEST", "Sun 2026-03-29 06:00 UTC")
	row(t, phases, "T-0", "Launch", "Mon 2026-03-30 10:00 CEST", "Mon 2026-03-30 08:00 UTC")
	// The 50 timeline steps, plus the two phases' own moments.
	if len(reminders) != 53 {
		t.Errorf("%d reminder rows, want a header and 52 reminders", len(reminders))
	}
	row(t, reminders, "T-1d2h", "countdown", "Sun 2026-03-29 08:00 CEST", "due: Freeze")
	row(t, reminders, "T-0", "t-day", "Mon 2026-03-30 10:00 CEST", "due: Launch")
}

// A configuration's reminder settings shape the schedule the timeline
// prints: its own offsets, and quiet hours moving what they may.
func TestTimelineReminderSettings(t *testing.T) {
	cfg := writeFile(t, "golive.yml", "version: 1\nreminders:\n  offsets: [T-3d, T-2h, T+5h]\n"+
		"  quiet_hours: {start: \"20:00\", end: \"08:00\"}\n")
	code, out, errOut := runCLI(t, "timeline", "--at", "2026-03-30 02:00", "--tz", "Europe/Berlin", "--template", cfg)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	_, reminders := timelineTables(t, out)
	// T-3d falls at 02:00, in quiet hours: moved to 08:00. T-2h is a T-day
	// step and stays. T+5h (07:00) is moved to 08:00.
	row(t, reminders, "T-3d", "countdown", "Fri 2026-03-27 08:00 CET", "moved from Fri 2026-03-27 02:00 CET")
	row(t, reminders, "T-2h", "t-day", "Mon 2026-03-30 00:00 CEST")
	row(t, reminders, "T+5h", "stabilization", "Mon 2026-03-30 08:00 CEST", "moved from Mon 2026-03-30 07:00 CEST")
}

func TestTimelineConfigTemplate(t *testing.T) {
	replace := writeFile(t, "golive.yml", "version: 1\ntemplate:\n  extend: false\n"+indentText(templateFile, "  "))
	code, out, errOut := runCLI(t, "timeline", "--at", "2026-03-30 10:00", "--template", replace)
	if code != 0 {
		t.Fatalf("extend: false: exit %d, stderr %q", code, errOut)
	}
	phases, _ := timelineTables(t, out)
	if len(phases) != 3 {
		t.Errorf("extend: false: want only the configured phases:\n%s", out)
	}
	row(t, phases, "T-1d2h", "Freeze", "Sun 2026-03-29 08:00 UTC")

	extend := writeFile(t, "golive.yml", "version: 1\ntemplate:\n"+indentText(templateFile, "  "))
	code, out, errOut = runCLI(t, "timeline", "--at", "2026-03-30 10:00", "--template", extend)
	if code != 0 {
		t.Fatalf("extend: exit %d, stderr %q", code, errOut)
	}
	phases, _ = timelineTables(t, out)
	if want := 1 + len(checklist.Default().Phases) + 2; len(phases) != want {
		t.Errorf("extend: %d rows, want %d (header, built-in phases, configured phases):\n%s", len(phases), want, out)
	}
	row(t, phases, "T-7d", "Pre-launch: infrastructure")
	if !strings.HasSuffix(phases[len(phases)-1], "Mon 2026-03-30 10:00 UTC") || !strings.Contains(phases[len(phases)-1], "Launch") {
		t.Errorf("extend: the configured phases come last:\n%s", out)
	}
}

func indentText(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

func TestTimelineBadFlags(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.yml")
	broken := writeFile(t, "broken.yml", "phases:\n  - name: A\n    offset: T-1w\n    items:\n      - text: a\n")
	for _, tc := range []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"bad at", []string{"--at", "tomorrow"}, []string{`--at "tomorrow"`, "YYYY-MM-DD HH:MM", "RFC 3339"}},
		{"at without time", []string{"--at", "2026-12-01"}, []string{`--at "2026-12-01"`}},
		{"at out of range", []string{"--at", "2026-02-30 10:00"}, []string{`--at "2026-02-30 10:00"`}},
		{"no at", []string{"--tz", "Europe/Berlin"}, []string{"--at is required"}},
		{"unknown zone", []string{"--at", "2026-12-01 14:00", "--tz", "Mars/Olympus_Mons"}, []string{`--tz "Mars/Olympus_Mons"`, "unknown time zone"}},
		{"local zone", []string{"--at", "2026-12-01 14:00", "--tz", "Local"}, []string{`--tz "Local"`}},
		{"missing template", []string{"--at", "2026-12-01 14:00", "--template", missing}, []string{`--template "` + missing + `"`, "no such file"}},
		{"invalid template", []string{"--at", "2026-12-01 14:00", "--template", broken}, []string{`--template "` + broken + `" is invalid`, broken + `:3: phase "A": parse offset "T-1w"`}},
		{"unknown flag", []string{"--at", "2026-12-01 14:00", "--when", "now"}, []string{"-when", "Usage: golive timeline"}},
		{"extra argument", []string{"--at", "2026-12-01 14:00", "now"}, []string{`unexpected argument "now"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"timeline"}, tc.args...)...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q; want exit 2 and no output", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestTimelineAndValidateInUsage(t *testing.T) {
	code, out, _ := runCLI(t, "help")
	if code != 0 || !strings.Contains(out, "golive timeline --at TIME") || !strings.Contains(out, "golive validate [FILE]") {
		t.Errorf("exit %d, usage:\n%s", code, out)
	}
}

const examplePath = "../../docs/golive.example.yml"

func TestValidateExample(t *testing.T) {
	code, out, errOut := runCLI(t, "validate", examplePath)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if !strings.HasPrefix(out, examplePath+": ok (golive configuration version 1: ") {
		t.Errorf("stdout: %q", out)
	}
}

func TestValidateExampleWithValidTemplate(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := strings.Cut(string(data), "\ntemplate:\n")
	if !ok {
		t.Fatal("the example has no template section")
	}
	path := writeFile(t, "golive.yml", head+"\ntemplate:\n  extend: true\n"+indentText(templateFile, "  "))
	code, out, errOut := runCLI(t, "validate", path)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	n := len(checklist.Default().Phases) + 2
	items := len(checklist.Default().Items()) + 3
	want := path + `: ok (golive configuration version 1: label "golive", time zone Europe/Berlin, Slack channel #deploys, ` +
		`environments production, staging; checklist: built-in checklist extended by 2 phases, ` +
		plural(n, "phase") + ", " + plural(items, "item")
	if !strings.HasPrefix(out, want) {
		t.Errorf("stdout:\n got %q\nwant %q…", out, want)
	}
}

func TestValidateBrokenConfig(t *testing.T) {
	path := writeFile(t, "golive.yml", `version: 1
timezone: Mars/Olympus_Mons
labl: go-live
environments:
  production:
    production: true
    min_role: owner
`)
	code, out, errOut := runCLI(t, "validate", path)
	want := path + `:2: timezone "Mars/Olympus_Mons" is not an IANA time zone: write a name like "Europe/Berlin" or "UTC"
` + path + `:3: unknown field "labl" in the configuration (did you mean "label"?)
` + path + `:7: environments.production.min_role "owner" is not a role: write one of read, triage, write, maintain, admin
`
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 1 and stderr:\n%s", code, out, errOut, want)
	}
}

func TestValidateConfigWithBrokenTemplate(t *testing.T) {
	// Problems in the template section are reported on their lines in the
	// configuration file, although the bot re-encodes the phases.
	path := writeFile(t, "golive.yml", `version: 1
label: golive

template:
  extend: false
  # our own process
  phases:
    - name: Freeze
      offset: T-1w
      items:
        - text: Code freeze
    - name: Launch
      offset: T-0
      items:
        - txt: Flip the switch
`)
	code, out, errOut := runCLI(t, "validate", path)
	want := path + `:9: template: phase "Freeze": parse offset "T-1w": unknown unit "w" (want d, h or m)
` + path + `:15: template: unknown field "txt" in phase "Launch" item 1 (known: id, text, owner, required)
` + path + `:15: template: phase "Launch" item 1: missing field "text"
`
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 1 and stderr:\n%s", code, out, errOut, want)
	}

	// A sequence at its key's indentation, followed by another key.
	path = writeFile(t, "golive.yml", "version: 1\ntemplate:\n  phases:\n  - name: A\n    offset: T-1x\n    items: [{text: a}]\n  extend: false\nlabel: x\n")
	code, _, errOut = runCLI(t, "validate", path)
	if want := path + ":5: template: phase \"A\": parse offset \"T-1x\": unknown unit \"x\" (want d, h or m)\n"; code != 1 || errOut != want {
		t.Errorf("compact sequence: exit %d, stderr:\n%s\nwant:\n%s", code, errOut, want)
	}

	// Phases that clash with the built-in checklist they extend: reported on
	// the first line of the phases.
	path = writeFile(t, "golive.yml", "version: 1\ntemplate:\n  phases:\n    - name: Go live\n      offset: T+30m\n      items:\n        - text: Again\n")
	code, _, errOut = runCLI(t, "validate", path)
	if !strings.HasPrefix(errOut, path+":4: the template in this configuration does not extend the built-in one: ") ||
		!strings.Contains(errOut, `duplicate phase name "Go live"`) || strings.Contains(errOut, "line ") || code != 1 {
		t.Errorf("extending: exit %d, stderr:\n%s", code, errOut)
	}
}

func TestValidateInvalidYAML(t *testing.T) {
	path := writeFile(t, "golive.yml", "version: 1\nlabel: golive\nslack:\n  channel: [\"#deploys\"\n")
	code, _, errOut := runCLI(t, "validate", path)
	if code != 1 || !strings.HasPrefix(errOut, path+":") || !strings.Contains(errOut, "invalid YAML") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
}

func TestValidateTemplateFile(t *testing.T) {
	path := writeFile(t, "template.yml", templateFile)
	code, out, errOut := runCLI(t, "validate", path)
	if want := path + ": ok (checklist template, 2 phases, 3 items (1 optional))\n"; code != 0 || out != want || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}

	broken := writeFile(t, "template.yml", "phases:\n  - name: A\n    offset: T-1d\n    items:\n      - text: a\n  - name: A\n    offset: T-1d\n    items: []\n")
	code, out, errOut = runCLI(t, "validate", broken)
	want := broken + `:6: duplicate phase name "A" (first at line 2)
` + broken + `:6: duplicate id "a" (first used at line 2): ids must be unique across the template
` + broken + `:8: phase "A" has no items
`
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}
}

func TestValidateMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "golive.yml")
	code, out, errOut := runCLI(t, "validate", missing)
	if code != 2 || out != "" || !strings.Contains(errOut, `golive validate: read "`+missing+`"`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "validate", "a.yml", "b.yml")
	if code != 2 || !strings.Contains(errOut, "at most one file") {
		t.Errorf("two files: exit %d, stderr %q", code, errOut)
	}
}

func TestValidateDefaultPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".github"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".github", "golive.yml"), []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, out, errOut := runCLI(t, "validate")
	if want := ".github/golive.yml: ok (golive configuration version 1: "; code != 0 || !strings.HasPrefix(out, want) || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q…", code, out, errOut, want)
	}
	if !strings.Contains(out, "checklist: built-in checklist, 26 phases") {
		t.Errorf("stdout %q", out)
	}
}
