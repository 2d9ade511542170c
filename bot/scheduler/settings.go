package scheduler

import (
	"context"
	"sync"
	"time"

	"github.com/golive-dev/golive/bot/clock"
	"github.com/golive-dev/golive/bot/store"
)

// CachedSettings wraps load so a repository's settings are read at most once
// per ttl: a burst of reminders costs one configuration read per repository.
// Errors are not cached.
func CachedSettings(load func(ctx context.Context, g store.GoLive) (Settings, error), ttl time.Duration, clk clock.Clock) func(ctx context.Context, g store.GoLive) (Settings, error) {
	type entry struct {
		s       Settings
		expires time.Time
	}
	var mu sync.Mutex
	cache := map[string]entry{}
	return func(ctx context.Context, g store.GoLive) (Settings, error) {
		now := clk.Now()
		mu.Lock()
		e, ok := cache[g.Repo]
		mu.Unlock()
		if ok && now.Before(e.expires) {
			return e.s, nil
		}
		s, err := load(ctx, g)
		if err != nil {
			return Settings{}, err
		}
		mu.Lock()
		defer mu.Unlock()
		for k, e := range cache {
			if !now.Before(e.expires) {
				delete(cache, k)
			}
		}
		cache[g.Repo] = entry{s, now.Add(ttl)}
		return s, nil
	}
}
