package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	// The go-live zone must load on hosts without tzdata too.
	_ "time/tzdata"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/reminders"
)

const timelineUsage = `Usage: golive timeline --at TIME [--tz ZONE] [--template FILE]

Prints when each phase of the go-live checklist is due, and the reminder
schedule, for a go-live at TIME.

  --at TIME        the go-live time: "YYYY-MM-DD HH:MM" (in --tz) or RFC 3339
                   like 2026-12-01T14:00:00+01:00
  --tz ZONE        the go-live's IANA time zone (default UTC); day offsets
                   like T-7d are calendar days in it
  --template FILE  a checklist template (a YAML document with "phases") or a
                   .github/golive.yml whose template is used (default: the
                   built-in checklist)
`

// localLayout is the --at form without a zone.
const localLayout = "2006-01-02 15:04"

// timeLayout is how the timeline prints a moment.
const timeLayout = "Mon 2006-01-02 15:04 MST"

// timeline prints the due times of a template's phases and the reminder
// schedule for one go-live time.
func timeline(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("golive timeline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, timelineUsage) }
	atFlag := fs.String("at", "", "")
	tzFlag := fs.String("tz", "UTC", "")
	templateFlag := fs.String("template", "", "")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, timelineUsage)
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "golive timeline: unexpected argument %q\n\n%s", fs.Arg(0), timelineUsage)
		return 2
	}

	loc, err := loadZone(*tzFlag)
	if err != nil {
		fmt.Fprintf(stderr, "golive timeline: --tz %q: %v\n", *tzFlag, err)
		return 2
	}
	if *atFlag == "" {
		fmt.Fprintf(stderr, "golive timeline: --at is required (like --at %q)\n\n%s", "2026-12-01 14:00", timelineUsage)
		return 2
	}
	at, err := parseAt(*atFlag, loc)
	if err != nil {
		fmt.Fprintf(stderr, "golive timeline: --at %q: %v\n", *atFlag, err)
		return 2
	}

	tmpl, source := checklist.Default(), "built-in checklist"
	offsets, rules := reminders.DefaultOffsets(), reminders.Rules{}
	if *templateFlag != "" {
		data, err := os.ReadFile(*templateFlag)
		if err != nil {
			fmt.Fprintf(stderr, "golive timeline: --template %q: %v\n", *templateFlag, err)
			return 2
		}
		f := checkFile(*templateFlag, data)
		if len(f.problems) > 0 {
			fmt.Fprintf(stderr, "golive timeline: --template %q is invalid:\n", *templateFlag)
			for _, p := range f.problems {
				fmt.Fprintln(stderr, "  "+p.String(*templateFlag))
			}
			return 2
		}
		tmpl, source = f.template, fmt.Sprintf("%s (%s)", *templateFlag, f.templateKind)
		if f.cfg != nil {
			offsets, rules = f.cfg.ReminderOffsets(), f.cfg.ReminderRules()
		}
	}

	writeTimeline(stdout, tmpl, source, at, loc, offsets, rules)
	return 0
}

// loadZone loads an IANA time zone; like repoconfig it refuses "" and
// "Local", whose meaning depends on the host.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("not an IANA time zone name (like %q)", "Europe/Berlin")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone (want an IANA name like %q)", "Europe/Berlin")
	}
	return loc, nil
}

// parseAt reads the go-live time: a wall-clock time in loc, or an RFC 3339
// moment (shown in loc).
func parseAt(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(localLayout, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	return time.Time{}, fmt.Errorf("want %q (in --tz) or RFC 3339 like %q", "YYYY-MM-DD HH:MM", "2026-12-01T14:00:00+01:00")
}

func writeTimeline(w io.Writer, tmpl checklist.Template, source string, at time.Time, loc *time.Location,
	offsets []checklist.Offset, rules reminders.Rules) {
	zone := loc.String()
	fmt.Fprintf(w, "Go-live %s (%s) = %s\n", at.Format(timeLayout), zone, at.UTC().Format(timeLayout))
	fmt.Fprintf(w, "Template: %s, %s\n\n", source, plural(len(tmpl.Phases), "phase"))

	fmt.Fprintln(w, "Checklist phases")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "OFFSET\tPHASE\tDUE (%s)\tDUE (UTC)\n", zone)
	for _, p := range tmpl.Phases {
		due := p.Offset.At(at)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Offset, p.Name, due.In(loc).Format(timeLayout), due.UTC().Format(timeLayout))
	}
	tw.Flush()

	// The occurrences golive plans: the timeline's offsets and the phases',
	// moved out of quiet hours and weekends where the rules allow.
	fmt.Fprintln(w, "\nReminders (posted to the go-live's Slack thread)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "OFFSET\tKIND\tDUE (%s)\tDUE (UTC)\tNOTE\n", zone)
	for _, o := range reminders.Schedule("timeline", at, offsets, tmpl, rules) {
		note := ""
		if o.Shifted {
			note = "moved from " + o.OriginalDue.In(loc).Format(timeLayout)
		}
		if len(o.Phases) > 0 {
			note = strings.TrimPrefix(note+"; due: "+strings.Join(o.Phases, ", "), "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Offset, o.Kind, o.Due.In(loc).Format(timeLayout), o.Due.UTC().Format(timeLayout), note)
	}
	tw.Flush()
}

// plural returns "1 phase" or "3 phases".
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, one)
}
