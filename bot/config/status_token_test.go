package config_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestStatusToken(t *testing.T) {
	env := validEnv()
	c, err := load(env)
	if err != nil || c.StatusToken.Reveal() != "" {
		t.Fatalf("without GOLIVE_STATUS_TOKEN: %v, token %q; want the page off", err, c.StatusToken.Reveal())
	}
	const token = "s3cr3t-status-token-0123456789"
	env["GOLIVE_STATUS_TOKEN"] = token
	if c, err = load(env); err != nil || c.StatusToken.Reveal() != token {
		t.Fatalf("GOLIVE_STATUS_TOKEN set: %v", err)
	}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, token) {
		t.Fatalf("the status token was printed: %s", s)
	}
	for _, bad := range []string{"short", " " + token, token + "\n"} {
		env["GOLIVE_STATUS_TOKEN"] = bad
		_, err := load(env)
		if err == nil || !strings.Contains(err.Error(), "GOLIVE_STATUS_TOKEN") || strings.Contains(err.Error(), bad) {
			t.Errorf("GOLIVE_STATUS_TOKEN=%q: error = %v, want one naming the variable but not the value", bad, err)
		}
	}
}
