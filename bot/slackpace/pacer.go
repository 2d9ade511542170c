// Package slackpace holds the pacing rules for posting to Slack: at most one
// message per PerChannel to any one channel, a workspace-wide token bucket,
// and Retry-After blocks for one channel or for the whole workspace.
//
// Everything here is pure and deterministic: the current time is always an
// argument, nothing sleeps, nothing starts a goroutine and nothing reads a
// clock. A dispatcher owns the clock (see package clock), asks a Queue for
// the next message it may send now and, when there is none, sleeps until the
// wake time the Queue returns.
//
// Neither Pacer nor Queue is safe for concurrent use; the intended owner is a
// single dispatcher goroutine that also reports 429s back to the Pacer.
package slackpace

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults applied by New to zero-valued Options fields.
const (
	// DefaultPerChannel is Slack's documented chat.postMessage pace: one
	// message per second per channel.
	DefaultPerChannel = time.Second
	// DefaultWorkspace is the sustained workspace-wide rate, in messages
	// per second.
	DefaultWorkspace = 20.0
	// DefaultBurst is how many messages the workspace bucket lets through
	// back to back when it is full.
	DefaultBurst = 5
	// DefaultRetryAfter is used by RateLimited when a 429 carried no
	// usable Retry-After.
	DefaultRetryAfter = time.Second
)

// Options configures a Pacer. The zero value means all defaults.
type Options struct {
	// PerChannel is the minimum gap between two messages to the same
	// channel. Zero means DefaultPerChannel; negative is an error.
	PerChannel time.Duration
	// Workspace is the sustained workspace-wide rate in messages per
	// second, across all channels. Zero means DefaultWorkspace; negative,
	// NaN, infinite, or so small that one message takes longer than
	// math.MaxInt64 nanoseconds is an error.
	Workspace float64
	// Burst is the capacity of the workspace token bucket: how many
	// messages may go back to back before the Workspace rate applies.
	// Zero means DefaultBurst; negative is an error.
	Burst int
}

// Pacer tracks when each channel, and the workspace as a whole, may next
// receive a message. Its zero value is not usable; call New.
//
// Times passed to a Pacer should not go backwards; if they do, the Pacer
// stays safe (it never allows more than the rules permit relative to the
// latest reservation) but may make callers wait longer than necessary.
//
// A Pacer is not safe for concurrent use.
type Pacer struct {
	perChannel time.Duration
	// interval is the workspace emission interval, 1/Workspace.
	interval time.Duration
	// tolerance is (Burst-1)*interval: how far ahead of now the
	// theoretical arrival time may run before the bucket is empty.
	tolerance time.Duration
	// tat is the GCRA theoretical arrival time of the workspace bucket;
	// the bucket admits a message at now iff now >= tat-tolerance.
	tat time.Time
	// wsBlocked is the end of a workspace-wide block.
	wsBlocked time.Time
	// channels maps a channel to the earliest time it may next receive a
	// message (spacing and Retry-After blocks combined). A channel that
	// is absent may post at any time.
	channels map[string]time.Time
}

// New returns a Pacer for o, with zero fields replaced by their defaults. It
// returns an error when a field is out of range.
func New(o Options) (*Pacer, error) {
	if o.PerChannel == 0 {
		o.PerChannel = DefaultPerChannel
	}
	if o.Workspace == 0 {
		o.Workspace = DefaultWorkspace
	}
	if o.Burst == 0 {
		o.Burst = DefaultBurst
	}
	if o.PerChannel < 0 {
		return nil, fmt.Errorf("slackpace: per-channel interval %s is negative", o.PerChannel)
	}
	if math.IsNaN(o.Workspace) || math.IsInf(o.Workspace, 0) || o.Workspace < 0 {
		return nil, fmt.Errorf("slackpace: workspace rate %v is not a positive finite number", o.Workspace)
	}
	if o.Burst < 0 {
		return nil, fmt.Errorf("slackpace: burst %d is negative", o.Burst)
	}
	ns := math.Round(float64(time.Second) / o.Workspace)
	if ns >= math.MaxInt64 {
		return nil, fmt.Errorf("slackpace: workspace rate %v is too small", o.Workspace)
	}
	interval := max(time.Duration(ns), 1)
	if int64(o.Burst-1) > math.MaxInt64/int64(interval) {
		return nil, errors.New("slackpace: burst times workspace interval overflows")
	}
	return &Pacer{
		perChannel: o.PerChannel,
		interval:   interval,
		tolerance:  time.Duration(o.Burst-1) * interval,
		channels:   make(map[string]time.Time),
	}, nil
}

// Allow reports whether a message to channel may be sent at now. If so it
// reserves the slot — the channel's spacing and one workspace token are used
// up, whether or not the send later succeeds — and returns ok with a zero
// retryAt. Otherwise it changes nothing and returns the earliest time at
// which Allow for this channel could succeed if no other reservation or block
// happens in between (another channel may take the workspace token first).
func (p *Pacer) Allow(channel string, now time.Time) (ok bool, retryAt time.Time) {
	at := later(p.channelAt(channel), p.workspaceAt())
	if at.After(now) {
		return false, at
	}
	p.reserve(channel, now)
	return true, time.Time{}
}

// When returns the earliest time, not before now, at which Allow(channel)
// could succeed, without reserving anything.
func (p *Pacer) When(channel string, now time.Time) time.Time {
	return later(now, later(p.channelAt(channel), p.workspaceAt()))
}

// Blocked stops channel from receiving messages before until, typically
// after Slack answered a post to it with HTTP 429 and Retry-After. Blocks
// only ever extend: an until earlier than the channel's current next allowed
// time changes nothing. Other channels are unaffected.
func (p *Pacer) Blocked(channel string, until time.Time) {
	if next, ok := p.channels[channel]; !ok || until.After(next) {
		p.channels[channel] = until
	}
}

// Hold keeps channel from receiving messages until Release: a post to it is
// in flight. With it, the gap between two posts to a channel is at least
// PerChannel where Slack counts it (on arrival), however long a request
// takes, not only where they were sent.
func (p *Pacer) Hold(channel string) {
	p.channels[channel] = held
}

// Release ends a Hold once the post finished at now: channel may receive its
// next message PerChannel later. A Retry-After that came with the answer is
// applied after Release (RateLimited), so it extends this.
func (p *Pacer) Release(channel string, now time.Time) {
	p.channels[channel] = now.Add(p.perChannel)
}

// held is a channel's next allowed time while a post to it is in flight.
var held = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// BlockWorkspace stops every channel from receiving messages before until,
// for a 429 that is not tied to one channel. Like Blocked, it only extends.
func (p *Pacer) BlockWorkspace(until time.Time) {
	if until.After(p.wsBlocked) {
		p.wsBlocked = until
	}
}

// RateLimited applies a Slack 429 observed at now with the given Retry-After:
// it blocks channel until now+retryAfter or, when channel is "", the whole
// workspace. A retryAfter that is zero or negative (a missing or unparsable
// header) counts as DefaultRetryAfter. Callers typically feed it from
// slackclient.RetryAfter(err).
func (p *Pacer) RateLimited(channel string, now time.Time, retryAfter time.Duration) {
	if retryAfter <= 0 {
		retryAfter = DefaultRetryAfter
	}
	until := now.Add(retryAfter)
	if channel == "" {
		p.BlockWorkspace(until)
		return
	}
	p.Blocked(channel, until)
}

// Prune forgets channels that no longer constrain anything at now, bounding
// the Pacer's memory for long-running dispatchers, and returns how many it
// forgot. Pruning changes no decision as long as later calls use times not
// before now.
func (p *Pacer) Prune(now time.Time) int {
	n := 0
	for ch, next := range p.channels {
		if !next.After(now) {
			delete(p.channels, ch)
			n++
		}
	}
	return n
}

// channelAt is the earliest time channel may post, ignoring the workspace
// limits. The zero time means "any time".
func (p *Pacer) channelAt(channel string) time.Time {
	return p.channels[channel]
}

// workspaceAt is the earliest time the workspace bucket and any workspace
// block admit a message.
func (p *Pacer) workspaceAt() time.Time {
	var at time.Time
	if !p.tat.IsZero() {
		at = p.tat.Add(-p.tolerance)
	}
	return later(at, p.wsBlocked)
}

// reserve records a message to channel sent at now. The caller has checked
// that now is allowed.
func (p *Pacer) reserve(channel string, now time.Time) {
	p.channels[channel] = now.Add(p.perChannel)
	p.tat = later(p.tat, now).Add(p.interval)
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
