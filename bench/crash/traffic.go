package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-dev/golive/bot/signature"
)

// sender delivers webhooks the way GitHub does, with one difference in
// crash mode: a delivery refused because golive is down (connection refused,
// reset, 502 from the balancer) is sent again, as GitHub's redelivery would
// (golive's inbox dedups by delivery id). With sweep set (-faults), a 503
// from golive itself (database down) is instead recorded in the fake's hook
// delivery log as failed and left to golive's redelivery sweep.
type sender struct {
	target string
	secret []byte
	client *http.Client
	sweep  bool
	fk     *fakesProc
	ctx    context.Context

	pending sync.WaitGroup // deliveries not yet acknowledged

	posts, resent, unavailable, duplicates, swept atomic.Int64

	mu       sync.Mutex
	acked    map[string]bool
	failures []string
	hooks    map[int64]*delivery // hook delivery id → delivery, for redeliveries
	redone   int                 // redelivery requests handled
	unknown  int                 // redelivery requests for unknown hook deliveries
}

func newSender(ctx context.Context, target string, secret []byte, fk *fakesProc, sweep bool) *sender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return &sender{ctx: ctx, target: target, secret: secret, fk: fk, sweep: sweep,
		client: &http.Client{Transport: tr, Timeout: 60 * time.Second},
		acked:  map[string]bool{}, hooks: map[int64]*delivery{}}
}

// post sends d once; code 0 means no answer.
func (s *sender) post(d *delivery) (int, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.target+"/webhooks/github", bytes.NewReader(d.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/bench")
	req.Header.Set("X-GitHub-Delivery", d.id)
	req.Header.Set("X-GitHub-Event", d.event)
	req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	req.Header.Set("X-Hub-Signature-256", signature.SignGitHub(s.secret, d.body))
	s.posts.Add(1)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// deliver sends d until golive acknowledges it (or, with sweep, until it
// is left to the redelivery sweep).
func (s *sender) deliver(d *delivery) {
	backoff := 50 * time.Millisecond
	for {
		code, err := s.post(d)
		switch {
		case code == http.StatusAccepted || code == http.StatusOK:
			if code == http.StatusOK {
				s.duplicates.Add(1)
			}
			s.ack(d)
			return
		case code == http.StatusServiceUnavailable && s.sweep:
			s.unavailable.Add(1)
			if err := s.leaveToSweep(d, 0); err != nil {
				s.fail(d, err.Error())
			}
			return
		case err != nil || code == http.StatusBadGateway || code == http.StatusServiceUnavailable:
			if s.ctx.Err() != nil {
				s.fail(d, "not acknowledged before the run's deadline")
				return
			}
			if code == http.StatusServiceUnavailable {
				s.unavailable.Add(1)
			}
			s.resent.Add(1)
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
		default:
			s.fail(d, fmt.Sprintf("answered %d", code))
			return
		}
	}
}

func (s *sender) ack(d *delivery) {
	s.mu.Lock()
	first := !s.acked[d.id]
	s.acked[d.id] = true
	s.mu.Unlock()
	if first {
		s.pending.Done()
	}
}

func (s *sender) fail(d *delivery, why string) {
	s.mu.Lock()
	s.failures = append(s.failures, d.id+": "+why)
	s.mu.Unlock()
	s.pending.Done()
}

// leaveToSweep records d's failed attempt in the fake GitHub's hook
// delivery log (a redelivery's entry, hookID, is corrected in place), where
// golive's sweeper finds it.
func (s *sender) leaveToSweep(d *delivery, hookID int64) error {
	hd := hookDelivery{ID: hookID, GUID: d.id, Event: d.event, Action: d.action, StatusCode: http.StatusServiceUnavailable,
		Redelivery: hookID != 0, DeliveredAt: time.Now().UTC(), InstallationID: installationID, RepositoryID: repoID}
	out, err := s.fk.addHookDeliveries([]hookDelivery{hd})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.hooks[out[0].ID] = d
	s.mu.Unlock()
	s.swept.Add(1)
	return nil
}

// redeliver plays GitHub's part of a redelivery: every redelivery golive
// requested is sent again with the same delivery id, until ctx ends.
func (s *sender) redeliver(ctx context.Context) {
	seen := 0
	for ctx.Err() == nil {
		time.Sleep(300 * time.Millisecond)
		ids, err := s.fk.redeliveries()
		if err != nil || len(ids) <= seen {
			continue
		}
		fresh := ids[seen:]
		seen = len(ids)
		all, err := s.fk.hookDeliveries()
		if err != nil {
			continue
		}
		for _, id := range fresh {
			s.mu.Lock()
			d := s.hooks[id]
			if d == nil {
				s.unknown++
			} else {
				s.redone++
			}
			s.mu.Unlock()
			if d == nil {
				continue
			}
			// The fake logged the redelivery as a success; find its entry
			// so a failure can be written over it.
			var entry int64
			for _, h := range all {
				s.mu.Lock()
				_, ours := s.hooks[h.ID]
				s.mu.Unlock()
				if h.GUID == d.id && h.Redelivery && !ours {
					entry = h.ID
					break
				}
			}
			go func() {
				code, _ := s.post(d)
				if code == http.StatusAccepted || code == http.StatusOK {
					s.ack(d)
					return
				}
				if entry != 0 {
					s.leaveToSweep(d, entry)
				}
			}()
		}
	}
}

// pacer hands out send slots at a fixed rate.
type pacer struct {
	start time.Time
	every time.Duration
	n     atomic.Int64
}

func (p *pacer) wait() {
	if p.every <= 0 {
		return
	}
	slot := p.start.Add(time.Duration(p.n.Add(1)-1) * p.every)
	if d := time.Until(slot); d > 0 {
		time.Sleep(d)
	}
}

// ticker turns each go-live's checklist, once golive wrote it into the
// issue, into tick deliveries: a person ticking boxes one at a time, each
// edit event carrying the body before and after.
func (r *run) ticker(queue chan<- *delivery, deadline time.Time) {
	waiting := append([]*golive(nil), r.w.golives...)
	for len(waiting) > 0 && time.Now().Before(deadline) && r.ctx.Err() == nil {
		var still []*golive
		for _, g := range waiting {
			is, err := r.fk.issue(g.number)
			if err != nil || !strings.Contains(is.Body, checklistStart) {
				still = append(still, g)
				continue
			}
			bodies := tickBodies(is.Body, r.w.ticksPer)
			if err := r.fk.editIssue(g.number, bodies[len(bodies)-1]); err != nil {
				still = append(still, g)
				continue
			}
			base := time.Now()
			for j := 1; j < len(bodies); j++ {
				d := &delivery{id: fmt.Sprintf("%s-tick-%04d-%d", r.runID, g.number, j), event: "issues", action: "edited", kind: "tick",
					body: r.w.issueEvent("edited", g.number, bodies[j], &bodies[j-1], []string{"golive"}, "bob", base.Add(time.Duration(j)*time.Second))}
				g.tickIDs = append(g.tickIDs, d.id)
				g.ticks++
				r.snd.pending.Add(1)
				queue <- d
			}
		}
		waiting = still
		if len(waiting) > 0 {
			time.Sleep(300 * time.Millisecond)
		}
	}
	r.untickable = len(waiting)
}
