package digest

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/repoconfig"
	"github.com/golive-dev/golive/bot/slackclient"
	"github.com/golive-dev/golive/bot/store"
)

// Event is the Slack metadata event type of a digest message: a digest
// already in the channel is found by it and not posted again.
const Event = "golive_digest"

// PostAt is when a week's digest goes out: Monday 09:00 in the
// repository's time zone.
const PostAt = 9 * time.Hour

// Slack is what the poster needs of Slack (slackclient.Client).
type Slack interface {
	ResolveChannel(ctx context.Context, channel string) (string, error)
	PostMessage(ctx context.Context, m slackclient.Message) (ts, channelID string, err error)
	FindByMetadata(ctx context.Context, channel, threadTS, eventType, key, value string) (ts string, found bool, err error)
}

// Poster posts each repository's weekly digest to its slack.channel, once
// per week across restarts and replicas: a named lock keeps two replicas
// from posting at the same moment, and the week's key in the message's
// metadata keeps a restarted one from posting again.
type Poster struct {
	Store  store.Store
	Slack  Slack
	Clock  clock.Clock
	Owner  string
	Logger *slog.Logger
	// Config reads a repository's configuration; the poster keeps what it
	// read for an hour.
	Config func(ctx context.Context, installationID int64, repo string) (*repoconfig.Config, error)
	// OpenOpsItems counts a repository's open operations items; nil
	// leaves them out of the digest.
	OpenOpsItems func(ctx context.Context, r store.Repository, cfg *repoconfig.Config) (int, error)

	mu      sync.Mutex
	done    map[string]bool // "<repo id>/<week>" posted or found
	configs map[int64]cachedConfig
}

type cachedConfig struct {
	cfg *repoconfig.Config
	at  time.Time
}

// config returns r's configuration, read at most once an hour.
func (p *Poster) config(ctx context.Context, r store.Repository, now time.Time) (*repoconfig.Config, error) {
	p.mu.Lock()
	c, ok := p.configs[r.ID]
	p.mu.Unlock()
	if ok && now.Sub(c.at) < time.Hour {
		return c.cfg, nil
	}
	cfg, err := p.Config(ctx, r.InstallationID, r.FullName)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.configs == nil {
		p.configs = map[int64]cachedConfig{}
	}
	p.configs[r.ID] = cachedConfig{cfg, now}
	p.mu.Unlock()
	return cfg, nil
}

// PostDue posts the digests due now and returns how many it posted.
func (p *Poster) PostDue(ctx context.Context) (int, error) {
	ins, err := p.Store.ListInstallations(ctx)
	if err != nil {
		return 0, err
	}
	posted := 0
	for _, in := range ins {
		repos, err := p.Store.ListRepositories(ctx, in.ID)
		if err != nil {
			return posted, err
		}
		for _, r := range repos {
			ok, err := p.postRepo(ctx, r)
			if err != nil {
				p.logger().Warn("post a weekly digest", "repo", r.FullName, "err", err)
				continue
			}
			if ok {
				posted++
			}
		}
	}
	return posted, nil
}

func (p *Poster) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func (p *Poster) postRepo(ctx context.Context, r store.Repository) (bool, error) {
	now := p.Clock.Now()
	cfg, err := p.config(ctx, r, now)
	if err != nil {
		return false, err
	}
	if cfg.Slack.Channel == "" {
		return false, nil
	}
	loc := cfg.Location()
	from, to, week := WeekOf(now, loc)
	if now.Before(to.Add(PostAt)) {
		return false, nil // Monday morning has not come yet
	}
	mark := strconv.FormatInt(r.ID, 10) + "/" + week
	p.mu.Lock()
	seen := p.done[mark]
	p.mu.Unlock()
	if seen {
		return false, nil
	}
	got, err := p.Store.TryLock(ctx, "digest:"+mark, p.Owner, now, 5*time.Minute)
	if err != nil || !got {
		return false, err
	}
	defer p.Store.Unlock(ctx, "digest:"+mark, p.Owner)
	channel, err := p.Slack.ResolveChannel(ctx, cfg.Slack.Channel)
	if err != nil {
		return false, err
	}
	key := r.FullName + "@" + week
	if _, found, err := p.Slack.FindByMetadata(ctx, channel, "", Event, "week", key); err != nil || found {
		if found {
			p.remember(mark)
		}
		return false, err
	}
	d, err := p.Compute(ctx, r, cfg, from, to)
	if err != nil {
		return false, err
	}
	if _, _, err := p.Slack.PostMessage(ctx, slackclient.Message{Channel: channel, Text: d.Text(),
		Metadata: &slackclient.Metadata{EventType: Event, Payload: map[string]any{"week": key}}}); err != nil {
		return false, err
	}
	p.remember(mark)
	return true, nil
}

func (p *Poster) remember(mark string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		p.done = map[string]bool{}
	}
	p.done[mark] = true
}

// Compute reads a repository's week from the store.
func (p *Poster) Compute(ctx context.Context, r store.Repository, cfg *repoconfig.Config, from, to time.Time) (Digest, error) {
	var golives []store.GoLive
	for _, st := range []store.GoLiveState{store.GoLiveDone} {
		gs, err := p.Store.ListGoLives(ctx, st)
		if err != nil {
			return Digest{}, err
		}
		for _, g := range gs {
			if g.RepoID == r.ID {
				golives = append(golives, g)
			}
		}
	}
	// A go-live done this week may have been deployed weeks before.
	deploys, err := p.Store.DeploysBetween(ctx, r.ID, from.AddDate(0, 0, -60), to)
	if err != nil {
		return Digest{}, err
	}
	incidents, err := p.Store.ListIncidents(ctx, r.ID, from)
	if err != nil {
		return Digest{}, err
	}
	ops := -1
	if p.OpenOpsItems != nil {
		if ops, err = p.OpenOpsItems(ctx, r, cfg); err != nil {
			return Digest{}, fmt.Errorf("count open operations items of %q: %w", r.FullName, err)
		}
	}
	return Compute(r.FullName, from, to, golives, deploys, incidents, cfg, ops), nil
}

// Run posts due digests every interval until ctx ends.
func (p *Poster) Run(ctx context.Context, interval time.Duration) {
	for {
		if _, err := p.PostDue(ctx); err != nil && ctx.Err() == nil {
			p.logger().Warn("post weekly digests", "err", err)
		}
		if clock.Sleep(ctx, interval) != nil {
			return
		}
	}
}
