package ghclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
)

// deliveriesPerPage is the page size asked of GET /app/hook/deliveries.
const deliveriesPerPage = 100

// maxDeliveryPages stops a sweep that a misbehaving server keeps paging.
const maxDeliveryPages = 1000

// HookDelivery is one attempt by GitHub to deliver a webhook to the App.
type HookDelivery struct {
	ID             int64
	GUID           string // X-GitHub-Delivery; shared by an event's redeliveries
	Event          string
	Action         string
	StatusCode     int // HTTP status golive's endpoint answered; 0 if none
	Redelivery     bool
	DeliveredAt    time.Time
	InstallationID int64
}

// FailedDeliveries lists the App's webhook deliveries made at or after since
// whose event never reached golive: attempts answered outside 2xx, keeping
// only GUIDs with no 2xx attempt at all (an event already redelivered
// successfully is not failed). Each failed GUID appears once, as its most
// recent attempt, newest first — the order GitHub lists deliveries in. It
// pages through GET /app/hook/deliveries, 100 at a time, until it reaches
// deliveries older than since or the last page.
func (a *Apps) FailedDeliveries(ctx context.Context, since time.Time) ([]HookDelivery, error) {
	opts := &github.ListCursorOptions{PerPage: deliveriesPerPage}
	delivered := make(map[string]bool) // GUIDs with a 2xx attempt
	seen := make(map[string]bool)      // GUIDs already in failed
	var failed []HookDelivery
	for page := 0; page < maxDeliveryPages; page++ {
		list, resp, err := a.app.Apps.ListHookDeliveries(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list github app hook deliveries since %s: %w", since.Format(time.RFC3339), err)
		}
		reachedSince := false
		for _, d := range list {
			hd := toHookDelivery(d)
			if hd.DeliveredAt.Before(since) {
				reachedSince = true
				continue
			}
			if hd.StatusCode >= 200 && hd.StatusCode <= 299 {
				delivered[hd.GUID] = true
				continue
			}
			if !seen[hd.GUID] {
				seen[hd.GUID] = true
				failed = append(failed, hd)
			}
		}
		if reachedSince || resp.Cursor == "" || resp.Cursor == opts.Cursor {
			break
		}
		opts.Cursor = resp.Cursor
	}
	out := failed[:0]
	for _, d := range failed {
		if !delivered[d.GUID] {
			out = append(out, d)
		}
	}
	return out, nil
}

func toHookDelivery(d *github.HookDelivery) HookDelivery {
	return HookDelivery{
		ID:             d.GetID(),
		GUID:           d.GetGUID(),
		Event:          d.GetEvent(),
		Action:         d.GetAction(),
		StatusCode:     d.GetStatusCode(),
		Redelivery:     d.GetRedelivery(),
		DeliveredAt:    d.GetDeliveredAt().Time,
		InstallationID: d.GetInstallationID(),
	}
}

// Redeliver asks GitHub to send delivery id to the App's webhook again
// (POST /app/hook/deliveries/{id}/attempts). GitHub's 202 Accepted is success;
// the redelivery itself happens asynchronously.
func (a *Apps) Redeliver(ctx context.Context, id int64) error {
	_, _, err := a.app.Apps.RedeliverHookDelivery(ctx, id)
	var accepted *github.AcceptedError
	if err != nil && !errors.As(err, &accepted) {
		return fmt.Errorf("redeliver github hook delivery %d: %w", id, err)
	}
	return nil
}
