package store_test

import (
	"testing"

	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.PostgresURL(t) // skip or fail before any subtest
	storetest.Run(t, func(t *testing.T) store.Store {
		s := storetest.Postgres(t)
		if got := s.Dialect(); got != "postgres" {
			t.Fatalf("Dialect() = %q, want postgres", got)
		}
		return s
	})
}
