package repoconfig

import (
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// onCallRE is a GitHub login or team with "@", or a Slack user-group ID.
var onCallRE = regexp.MustCompile(`^(@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]+)?|S[A-Z0-9]{2,})$`)

// Severities are the incident severities, most severe first.
var Severities = []string{"P0", "P1", "P2", "P3"}

// SLA is how soon an incident of one severity must be acknowledged
// (Response) and resolved (Resolution).
type SLA struct {
	Response   time.Duration
	Resolution time.Duration
}

// SeedSLAs are the operations checklist's targets: P0 5 min / 1 h, P1 15 min
// / 4 h, P2 1 h / 24 h, P3 4 h / 1 week.
func SeedSLAs() map[string]SLA {
	return map[string]SLA{
		"P0": {5 * time.Minute, time.Hour},
		"P1": {15 * time.Minute, 4 * time.Hour},
		"P2": {time.Hour, 24 * time.Hour},
		"P3": {4 * time.Hour, 7 * 24 * time.Hour},
	}
}

// Incidents is the configuration's incidents section.
type Incidents struct {
	// Channel is where incident threads go ("#incidents" or an ID); empty:
	// slack.channel.
	Channel string
	// OnCall is who is mentioned at an SLA breach, as written: "@login",
	// "@org/team" (mapped through slack.users) or a Slack user-group ID
	// like "S0123ABCD". Empty: nobody is mentioned.
	OnCall string
	// SLAs override SeedSLAs per severity; use SLA to read them.
	SLAs map[string]SLA
	// BusinessStart and BusinessEnd are the business hours (times of day in
	// the configuration's time zone, Monday to Friday) that P2 and P3 timers
	// count; both 0 when unset, meaning timers count every hour.
	BusinessStart, BusinessEnd time.Duration
	// OpenOnRollback is the severity of the incident a rollback opens, ""
	// when rollbacks open none.
	OpenOnRollback string
}

// SLA returns the targets of severity: the configured ones, else the seed's.
func (c *Config) SLA(severity string) SLA {
	if s, ok := c.Incidents.SLAs[severity]; ok {
		return s
	}
	return SeedSLAs()[severity]
}

// IncidentChannel is the Slack channel of incident threads: incidents.channel,
// else slack.channel; "" when neither is set.
func (c *Config) IncidentChannel() string {
	if c.Incidents.Channel != "" {
		return c.Incidents.Channel
	}
	return c.Slack.Channel
}

// incidents decodes the incidents section.
func (d *decoder) incidents(n *yaml.Node) {
	in := &d.cfg.Incidents
	d.fields(n, "incidents", map[string]field{
		"channel": func(at, v *yaml.Node) {
			if s, ok := d.str(at, v, "incidents.channel"); ok {
				if !slackChannelRE.MatchString(s) {
					d.addf(at, "incidents.channel %q is not a Slack channel: write it as \"#incidents\" or as a channel ID like C0123ABCD", s)
					return
				}
				in.Channel = s
			}
		},
		"oncall": func(at, v *yaml.Node) {
			if s, ok := d.str(at, v, "incidents.oncall"); ok {
				if !onCallRE.MatchString(s) {
					d.addf(at, "incidents.oncall %q is not a person, team or Slack user group: write \"@login\", \"@org/team\" or a group ID like S0123ABCD", s)
					return
				}
				in.OnCall = s
			}
		},
		"sla": func(at, v *yaml.Node) {
			in.SLAs = map[string]SLA{}
			known := map[string]field{}
			for _, sev := range Severities {
				known[sev] = func(at, v *yaml.Node) {
					s := SeedSLAs()[sev]
					d.fields(at, "incidents.sla."+sev, map[string]field{
						"response":   d.slaDuration(sev, "response", &s.Response),
						"resolution": d.slaDuration(sev, "resolution", &s.Resolution),
					})
					if s.Response > s.Resolution {
						d.addf(at, "incidents.sla.%s: the response target %s is later than the resolution target %s", sev, s.Response, s.Resolution)
					}
					in.SLAs[sev] = s
				}
			}
			d.fields(at, "incidents.sla", known)
		},
		"business_hours": func(at, v *yaml.Node) {
			d.businessHours(at, v)
		},
		"open_on_rollback": func(at, v *yaml.Node) {
			if s, ok := d.str(at, v, "incidents.open_on_rollback"); ok {
				if !isSeverity(s) {
					d.addf(at, "incidents.open_on_rollback %q is not a severity: write P0, P1, P2 or P3", s)
					return
				}
				in.OpenOnRollback = s
			}
		},
	})
}

func isSeverity(s string) bool {
	for _, sev := range Severities {
		if s == sev {
			return true
		}
	}
	return false
}

// slaDuration decodes one target: a duration from 1m to 30d.
func (d *decoder) slaDuration(sev, name string, into *time.Duration) field {
	where := "incidents.sla." + sev + "." + name
	return func(at, v *yaml.Node) {
		if v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float") {
			d.addf(at, "%s %s has no unit: write a duration like \"15m\" or \"4h\"", where, v.Value)
			return
		}
		s, ok := d.str(at, v, where)
		if !ok {
			return
		}
		t, err := parseDays(s)
		if err != nil || t < time.Minute || t > 30*24*time.Hour {
			d.addf(at, "%s %q is not a duration from 1m to 30d: write one like \"15m\", \"4h\" or \"7d\"", where, s)
			return
		}
		*into = t
	}
}

// parseDays is time.ParseDuration that also reads a leading "Nd" as days.
func parseDays(s string) (time.Duration, error) {
	var days time.Duration
	for i, r := range s {
		if r == 'd' {
			n, err := strconv.Atoi(s[:i])
			if err != nil {
				return 0, err
			}
			days, s = time.Duration(n)*24*time.Hour, s[i+1:]
			break
		}
		if r < '0' || r > '9' {
			break
		}
	}
	if s == "" {
		return days, nil
	}
	rest, err := time.ParseDuration(s)
	return days + rest, err
}

// businessHours decodes incidents.business_hours: {start, end} as HH:MM,
// start before end.
func (d *decoder) businessHours(at, v *yaml.Node) {
	const where = "incidents.business_hours"
	in := &d.cfg.Incidents
	if v.Kind != yaml.MappingNode {
		d.addf(at, "%s must be a mapping like {start: \"09:00\", end: \"17:00\"}, found %s", where, kindName(v))
		return
	}
	var start, end time.Duration
	var ok [2]bool
	timeOfDay := func(key string, into *time.Duration, seen *bool) field {
		return func(at, v *yaml.Node) {
			m := timeOfDayRE.FindStringSubmatch(v.Value)
			if v.Kind != yaml.ScalarNode || m == nil || v.ShortTag() != "!!str" {
				d.addf(at, "%s.%s %q is not a time of day: write it as HH:MM, like \"09:00\"", where, key, v.Value)
				return
			}
			h, _ := strconv.Atoi(m[1])
			mm, _ := strconv.Atoi(m[2])
			*into, *seen = time.Duration(h)*time.Hour+time.Duration(mm)*time.Minute, true
		}
	}
	d.fields(at, where, map[string]field{
		"start": timeOfDay("start", &start, &ok[0]),
		"end":   timeOfDay("end", &end, &ok[1]),
	})
	switch {
	case !ok[0] || !ok[1]:
		d.addf(at, "%s needs both start and end, like {start: \"09:00\", end: \"17:00\"}", where)
	case start >= end:
		d.addf(at, "%s: start is not before end", where)
	default:
		in.BusinessStart, in.BusinessEnd = start, end
	}
}
