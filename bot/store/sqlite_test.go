package store_test

import (
	"testing"

	"github.com/golive-dev/golive/bot/store"
	"github.com/golive-dev/golive/bot/store/storetest"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s := storetest.SQLite(t)
		if got := s.Dialect(); got != "sqlite" {
			t.Fatalf("Dialect() = %q, want sqlite", got)
		}
		return s
	})
}
