package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/bot/store"
)

func testLocks(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	take := func(name, owner string, at time.Time) bool {
		t.Helper()
		ok, err := s.TryLock(ctx, name, owner, at, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("issue:1#2", "a", now) {
		t.Fatal("a free lock was not taken")
	}
	if take("issue:1#2", "b", now.Add(30*time.Second)) {
		t.Fatal("a held lock was taken by another owner")
	}
	if !take("issue:1#3", "b", now) {
		t.Fatal("locks of other names are independent")
	}
	if !take("issue:1#2", "a", now.Add(10*time.Second)) {
		t.Fatal("the holder could not extend its lock")
	}
	if err := s.Unlock(ctx, "issue:1#2", "b"); err != nil {
		t.Fatal(err)
	}
	if take("issue:1#2", "b", now.Add(20*time.Second)) {
		t.Fatal("another owner's unlock released the lock")
	}
	if err := s.Unlock(ctx, "issue:1#2", "a"); err != nil {
		t.Fatal(err)
	}
	if !take("issue:1#2", "b", now.Add(20*time.Second)) {
		t.Fatal("a released lock was not free")
	}
	// b's lock expires at +80s; a dead holder's lock is free after that.
	if take("issue:1#2", "c", now.Add(79*time.Second)) {
		t.Fatal("a lock was taken before it expired")
	}
	if !take("issue:1#2", "c", now.Add(80*time.Second)) {
		t.Fatal("an expired lock was not free")
	}
	if _, err := s.TryLock(ctx, "", "a", now, time.Minute); err == nil {
		t.Fatal("a lock without a name was accepted")
	}
}

func testLocksConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	const contenders = 8
	var wg sync.WaitGroup
	won := make(chan string, contenders)
	for i := range contenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := string(rune('a' + i))
			ok, err := s.TryLock(ctx, "golive:7", owner, now, time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				won <- owner
			}
		}()
	}
	wg.Wait()
	close(won)
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d contenders took one free lock: %v", len(winners), winners)
	}
}
