package store

import (
	"path/filepath"
	"testing"
)

// TestSQLiteConnectionSettings checks the settings every SQLite connection
// gets from its DSN.
func TestSQLiteConnectionSettings(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ss := s.(*sqlStore)
	for _, tc := range []struct {
		pool         string
		pragma, want string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"}, // FULL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "10000"},
		{"writer", "query_only", "0"},
		{"reader", "busy_timeout", "10000"},
		{"reader", "query_only", "1"},
		{"reader", "journal_mode", "wal"},
	} {
		db := ss.w
		if tc.pool == "reader" {
			db = ss.r
		}
		var got string
		if err := db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s: PRAGMA %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.pool, tc.pragma, got, tc.want)
		}
	}
	if got := ss.w.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections, want 1", got)
	}
	if _, err := ss.r.ExecContext(t.Context(), `DELETE FROM deliveries`); err == nil {
		t.Error("reader pool accepted a write")
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`
	if got := sqliteDialect.rebind(q); got != q {
		t.Errorf("sqlite rebind = %q", got)
	}
	if got, want := postgresDialect.rebind(q), `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`; got != want {
		t.Errorf("postgres rebind = %q, want %q", got, want)
	}
	if got, want := postgresDialect.rebind(`x IN (`+placeholders(12)+`)`), `x IN ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`; got != want {
		t.Errorf("postgres rebind = %q, want %q", got, want)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                             "postgres://xxxxx@h/db",
		"postgres://h/db?password=secret&sslmode=x":     "postgres://h/db?password=xxxxx&sslmode=x",
		"postgres://h/db?PASSWORD=secret":               "postgres://h/db?PASSWORD=xxxxx",
		"u:secret@tcp(h)/db":                            "u:xxxxx@tcp(h)/db",
		"postgres://u:p@ss w@h/db":                      "postgres://xxxxx@h/db",
		"host=h password=secret dbname=x":               "host=h password=xxxxx dbname=x",
		"mysql://h/db":                                  "mysql://h/db",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
