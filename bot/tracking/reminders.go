package tracking

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/bot/checklist"
	"github.com/golive-dev/golive/bot/logging"
	"github.com/golive-dev/golive/bot/reminders"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/store"
)

// ThreadRefresher edits a go-live's Slack thread to its current progress
// (scheduler.Dispatcher implements it).
type ThreadRefresher interface {
	RefreshThread(ctx context.Context, goliveID int64) error
}

// ReminderKey is the go-live part of its occurrences' keys.
func ReminderKey(goliveID int64) string { return strconv.FormatInt(goliveID, 10) }

// reminderSync is what syncing a go-live's reminders changed.
type reminderSync struct {
	added, moved, cancelled, settled int
}

// String describes the change for the audit log and the tracker, or "" when
// nothing changed.
func (r reminderSync) String() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{r.moved, "moved"}, {r.added, "added"}, {r.cancelled, "cancelled"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := "reminders: " + strings.Join(parts, ", ")
	if r.settled > 0 {
		s += fmt.Sprintf("; %d already sent stay as they were", r.settled)
	}
	return s
}

// syncReminders makes g's stored occurrences match its plan: new ones are
// added, unsent ones move or are cancelled, sent ones are never touched. A
// go-live without a Slack channel has none.
func (s *Service) syncReminders(ctx context.Context, g store.GoLive, cfg *repoconfig.Config, tmpl checklist.Template, now time.Time) (reminderSync, error) {
	stored, err := s.Store.ListReminders(ctx, g.ID)
	if err != nil {
		return reminderSync{}, err
	}
	var existing []reminders.Existing
	var sync reminderSync
	needStart := true
	for _, r := range stored {
		if r.Offset == reminders.StartOffset {
			needStart = needStart && r.State == store.ReminderCancelled
			continue // not part of the timeline
		}
		if r.State == store.ReminderCancelled {
			continue // may apply again; Add revives it
		}
		settled := r.State != store.ReminderPending
		if settled {
			sync.settled++
		}
		existing = append(existing, reminders.Existing{Key: r.Key, Due: r.DueAt, Sent: settled})
	}
	var desired []reminders.Occurrence
	if g.SlackChannel != "" && g.State == store.GoLiveActive {
		desired = reminders.Schedule(ReminderKey(g.ID), g.At.In(location(g.Timezone)), cfg.ReminderOffsets(), tmpl, cfg.ReminderRules())
	}
	add, cancel, move := reminders.Diff(existing, desired, now)
	changes := store.ReminderChanges{Cancel: cancel}
	if len(desired) > 0 && needStart {
		// The go-live's thread opens now, not with its first reminder.
		changes.Add = append(changes.Add, store.Reminder{Key: reminders.StartKey(ReminderKey(g.ID)), GoLiveID: g.ID,
			Offset: reminders.StartOffset, Kind: reminders.StartOffset, DueAt: now})
	}
	for _, o := range add {
		changes.Add = append(changes.Add, storedReminder(g.ID, o))
	}
	for _, o := range move {
		changes.Move = append(changes.Move, storedReminder(g.ID, o))
	}
	if len(changes.Add)+len(changes.Move)+len(changes.Cancel) == 0 {
		return reminderSync{settled: sync.settled}, nil
	}
	sync.added, sync.moved, sync.cancelled, err = s.Store.ApplyReminderChanges(ctx, g.ID, changes)
	if len(desired) > 0 && needStart {
		sync.added-- // the thread's opening is no reminder
	}
	return sync, err
}

func storedReminder(goliveID int64, o reminders.Occurrence) store.Reminder {
	return store.Reminder{Key: o.Key, GoLiveID: goliveID, Offset: o.Offset.String(), Kind: o.Kind.String(),
		DueAt: o.Due.UTC(), Phases: o.Phases}
}

// reminderLines are the tracker's lines about Slack: the next reminder, and
// why Slack refused golive's messages when it did.
func (s *Service) reminderLines(ctx context.Context, g store.GoLive) (string, error) {
	var b strings.Builder
	if g.State == store.GoLiveActive {
		if g.SlackChannel == "" {
			b.WriteString("\n_Reminders are off: name a Slack channel in the form or in `.github/golive.yml`._\n")
		} else {
			rs, err := s.Store.ListReminders(ctx, g.ID)
			if err != nil {
				return "", err
			}
			sent := 0
			var next *store.Reminder
			for i, r := range rs {
				switch {
				case r.Offset == reminders.StartOffset:
				case r.State == store.ReminderSent:
					sent++
				case r.State == store.ReminderPending && next == nil:
					next = &rs[i]
				}
			}
			if next != nil {
				fmt.Fprintf(&b, "\n**Next reminder:** %s at %s in `%s` (%d sent so far).\n", next.Offset,
					formatTime(next.DueAt.In(location(g.Timezone))), g.SlackChannel, sent)
			} else if sent > 0 {
				fmt.Fprintf(&b, "\n**Reminders:** all %d sent in `%s`.\n", sent, g.SlackChannel)
			}
		}
	}
	if ds, err := s.Store.LatestDeploys(ctx, g.RepoID, g.Environment, 1); err != nil {
		return "", err
	} else if len(ds) > 0 {
		d := ds[0]
		sha := d.SHA
		if len(sha) > 7 {
			sha = sha[:7]
		}
		fmt.Fprintf(&b, "\n**Last %s to %s:** `%s` %s, by %s", d.Kind, d.Environment, sha, d.State, strings.ReplaceAll(d.RequestedBy, "@", "@\u200b"))
		if d.RunURL != "" {
			fmt.Fprintf(&b, " ([run](%s))", d.RunURL)
		}
		b.WriteString(".\n")
	}
	if g.SlackNote != "" {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> %s\n", g.SlackNote)
	}
	return b.String(), nil
}

// Rerender brings a go-live's tracker comment up to date with state that
// changed outside an issue event (a reminder went out, Slack refused one):
// it renders the tracker again and schedules the refresh if it differs.
func (s *Service) Rerender(ctx context.Context, goliveID int64) error {
	g, err := s.Store.GetGoLiveByID(ctx, goliveID)
	if err != nil {
		return err
	}
	if g.State != store.GoLiveActive || g.TrackerCommentID == 0 {
		return nil
	}
	return s.withIssueLock(ctx, g.RepoID, g.IssueNumber, func() error {
		g, err := s.Store.GetGoLiveByID(ctx, goliveID)
		if err != nil {
			return err
		}
		_, tmpl, err := s.Config(ctx, g)
		if err != nil {
			return err
		}
		items, err := s.Store.Items(ctx, g.ID)
		if err != nil {
			return err
		}
		body, err := s.trackerBody(ctx, g, tmpl, Tasks(items))
		if err != nil || body == g.TrackerBody {
			return err
		}
		return s.Store.ScheduleTracker(ctx, g.ID, s.refreshAt(g, s.Clock.Now()), body, time.Time{})
	})
}

// Config reads the configuration and checklist template of g's repository.
func (s *Service) Config(ctx context.Context, g store.GoLive) (*repoconfig.Config, checklist.Template, error) {
	api, err := s.Repos(g.InstallationID, g.Repo)
	if err != nil {
		return nil, checklist.Template{}, err
	}
	owner, name, _ := strings.Cut(g.Repo, "/")
	cfg, _, err := repoconfig.Load(ctx, fetcher{api}, owner, name)
	if err != nil {
		return nil, checklist.Template{}, fmt.Errorf("read the configuration of %s: %w", g.Repo, err)
	}
	tmpl, err := TemplateFor(cfg)
	if err != nil {
		return nil, checklist.Template{}, fmt.Errorf("read the checklist template of %s: %w", g.Repo, err)
	}
	return cfg, tmpl, nil
}

// TickItems ticks the go-live's checklist items ids in its issue body on
// behalf of actor (a deploy that succeeded, say), audits each tick with
// why, and brings the tracker and the deployment gate up to date. Items
// already ticked, or not in the body, are left alone.
func (s *Service) TickItems(ctx context.Context, goliveID int64, ids []string, actor, why string) error {
	g, err := s.Store.GetGoLiveByID(ctx, goliveID)
	if err != nil || len(ids) == 0 || g.State != store.GoLiveActive {
		return err
	}
	return s.withIssueLock(ctx, g.RepoID, g.IssueNumber, func() error {
		api, err := s.Repos(g.InstallationID, g.Repo)
		if err != nil {
			return err
		}
		is, err := api.Issue(ctx, g.IssueNumber)
		if err != nil {
			return err
		}
		body, ticked := checklist.TickItems(is.Body, ids)
		if len(ticked) == 0 {
			return nil
		}
		if err := api.SetIssueBody(ctx, g.IssueNumber, body); err != nil {
			return err
		}
		_, tmpl, err := s.Config(ctx, g)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		tasks := checklist.ParseTaskList(body)
		text := map[string]string{}
		for _, t := range tasks {
			text[t.ID] = t.Text
		}
		var audit []store.AuditEntry
		for _, id := range ticked {
			audit = append(audit, store.AuditEntry{GoLiveID: g.ID, At: now, Actor: actor, Action: "tick", ItemID: id,
				Detail: text[id] + " (" + why + ")", DedupKey: why + ":" + id})
		}
		if _, err := s.Store.AppendAudit(ctx, audit); err != nil {
			return err
		}
		if _, err := s.saveItems(ctx, g.ID, tmpl, tasks, actor, now, now); err != nil {
			return err
		}
		if g, err = s.Store.GetGoLiveByID(ctx, g.ID); err != nil {
			return err
		}
		tracker, err := s.trackerBody(ctx, g, tmpl, tasks)
		if err != nil {
			return err
		}
		if err := s.Store.ScheduleTracker(ctx, g.ID, s.refreshAt(g, now), tracker, time.Time{}); err != nil {
			return err
		}
		logging.From(ctx).Info("checklist items ticked", "repo", g.Repo, "issue", g.IssueNumber, "items", ticked, "by", actor)
		if s.OnReady != nil {
			if r, err := s.Readiness(ctx, g, tmpl); err != nil {
				return err
			} else if r.Ready {
				return s.OnReady.GoLiveReady(ctx, g.ID)
			}
		}
		return nil
	})
}

// ActiveGoLive is a repository's active go-live of an environment (GitHub's
// environment names ignore case), the soonest when there are several.
func ActiveGoLive(ctx context.Context, st store.Store, repoID int64, env string) (store.GoLive, bool, error) {
	gs, err := st.ListGoLives(ctx, store.GoLiveActive)
	if err != nil {
		return store.GoLive{}, false, err
	}
	var best store.GoLive
	found := false
	for _, g := range gs {
		if g.RepoID == repoID && strings.EqualFold(g.Environment, env) && (!found || g.At.Before(best.At)) {
			best, found = g, true
		}
	}
	return best, found, nil
}
