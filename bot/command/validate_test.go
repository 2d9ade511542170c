package command

import (
	"strings"
	"testing"
	"time"
)

func TestValidEnv(t *testing.T) {
	for _, s := range []string{"production", "prod", "Prod-EU_1.a", "9", "a", strings.Repeat("e", 63), "UTC", "to"} {
		if !ValidEnv(s) {
			t.Errorf("ValidEnv(%q) = false", s)
		}
	}
	for _, s := range []string{"", ".prod", "-prod", "_prod", "pr/od", "pr od", "prod!", "pröd", strings.Repeat("e", 64), "prod\n", "<!channel>"} {
		if ValidEnv(s) {
			t.Errorf("ValidEnv(%q) = true", s)
		}
	}
}

func TestValidRepo(t *testing.T) {
	for _, s := range []string{"golive-dev/golive", "a/b", "A1-b2/.github", "o/r.js", "o/_r", "o/-", strings.Repeat("o", 39) + "/" + strings.Repeat("r", 100)} {
		if !ValidRepo(s) {
			t.Errorf("ValidRepo(%q) = false", s)
		}
	}
	for _, s := range []string{"", "a", "a/", "/b", "a/b/c", "-a/b", "a-/b", "a--b/c", "a_b/c", "a.b/c", strings.Repeat("o", 40) + "/r",
		"o/" + strings.Repeat("r", 101), "o/.", "o/..", "o/r.git", "o/r.GIT", "o/r b", "o/r#1", "@o/r"} {
		if ValidRepo(s) {
			t.Errorf("ValidRepo(%q) = true", s)
		}
	}
}

func TestValidRef(t *testing.T) {
	for _, s := range []string{"main", "v1.2.3", "feature/login", "release/2026-12", "abc1234", "ABCDEF0", "0123456789abcdef0123456789abcdef01234567",
		"refs/heads/main", "refs/tags/v1", "HEAD", "x@y", "a.b", "ü", "feature/ß-1", "x}", strings.Repeat("r", 200)} {
		if !ValidRef(s) {
			t.Errorf("ValidRef(%q) = false: %s", s, refProblem(s))
		}
	}
	for _, s := range []string{"", "a..b", "..", "a b", "a\tb", "x\x00", "x\x1f", "x\x7f", "x~1", "x^2", "x:y", "x?", "x*", "x[1", `x\y`,
		"-x", "/x", "x/", "x.", "x.lock", "a/b.lock/c", ".x", "a/.x", "a//b", "a@{1}", "@", "x\u202e", "\xff\xfe",
		"refs/remotes/origin/x", "refs/pull/1/head", "refs/heads/", "refs/tags/", "refs/x", strings.Repeat("r", 201)} {
		if ValidRef(s) {
			t.Errorf("ValidRef(%q) = true", s)
		}
	}
	if !IsSHA("abc1234") || IsSHA("abc123") || IsSHA("main") || IsSHA(strings.Repeat("a", 41)) {
		t.Error("IsSHA")
	}
}

func TestParseDuration(t *testing.T) {
	ok := map[string]time.Duration{
		"1m": time.Minute, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "2H": 2 * time.Hour, "1d": 24 * time.Hour,
		"2d12h": 60 * time.Hour, "0d1h": time.Hour, "7d": 7 * 24 * time.Hour, "1.5h": 90 * time.Minute, "30s": 30 * time.Second,
		"999d": 999 * 24 * time.Hour,
	}
	for in, want := range ok {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2", "d", "1.5d", "1000d", "-1d", "+1d", "1d-1h", "1d+1h", "1h2d", "1dd", "-1h", "2 h", "1w", "x", "999d2562047h"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestValidate(t *testing.T) {
	good := []Command{
		{Verb: VerbStatus}, {Verb: VerbStatus, Repo: "a/b", Issue: 1}, {Verb: VerbList}, {Verb: VerbCancel},
		{Verb: VerbPlan, When: "tomorrow"}, {Verb: VerbPlan, When: "2026-12-01 14:00", Zone: "Europe/Berlin", Env: "prod"},
		{Verb: VerbDeploy, Env: "prod", Ref: "v1", Queue: true, Force: true}, {Verb: VerbRollback, Env: "prod", Ref: "v1"},
		{Verb: VerbLock, Env: "prod", Reason: "a b", For: time.Hour}, {Verb: VerbUnlock, Env: "prod", Repo: "a/b"},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := []Command{
		{}, {Verb: "nope"}, {Verb: VerbHelp}, {Verb: VerbList, Repo: "a"}, {Verb: VerbList, Issue: 1}, {Verb: VerbStatus, Issue: -1},
		{Verb: VerbList, Env: "prod"}, {Verb: VerbDeploy}, {Verb: VerbDeploy, Env: "a b"}, {Verb: VerbDeploy, Env: "p", Ref: "a..b"},
		{Verb: VerbUnlock, Env: "p", Ref: "v1"}, {Verb: VerbLock, Env: "p", Force: true}, {Verb: VerbDeploy, Env: "p", Reason: "x"},
		{Verb: VerbLock, Env: "p", Reason: " x"}, {Verb: VerbLock, Env: "p", Reason: "a  b"}, {Verb: VerbLock, Env: "p", Reason: "a\x00"},
		{Verb: VerbLock, Env: "p", For: time.Second}, {Verb: VerbLock, Env: "p", For: 8 * 24 * time.Hour}, {Verb: VerbUnlock, Env: "p", For: time.Hour},
		{Verb: VerbPlan}, {Verb: VerbPlan, When: "x", Zone: "Mars!"}, {Verb: VerbPlan, When: "x", Env: "a b"}, {Verb: VerbList, When: "x"},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v passes", c)
		}
	}
	var nilCmd *Command
	if nilCmd.Validate() == nil {
		t.Error("nil passes")
	}
}
