// Package storetest is the conformance suite for store.Store implementations
// and the helpers other packages' tests use to get a fresh store.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/golive-dev/golive/bot/store"
)

// PostgresURLEnv is the environment variable naming the PostgreSQL database
// the tests use.
const PostgresURLEnv = "GOLIVE_TEST_DATABASE_URL"

// SQLite returns a store on a new SQLite file in a temporary directory. It is
// closed when the test ends.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "golive.db")
	s, err := store.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sqlite store: %v", err)
		}
	})
	return s
}

// PostgresURL returns the test database URL from GOLIVE_TEST_DATABASE_URL.
// When the variable is unset the test is skipped, except under CI=true where
// it fails: CI must run the PostgreSQL tests. A set but unreachable database
// fails the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresURLEnv)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GOLIVE_TEST_DATABASE_URL is not set; CI must run the PostgreSQL store tests")
		}
		t.Skip("PostgreSQL store tests skipped: set GOLIVE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them")
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatalf("%s: %v", PostgresURLEnv, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("%s is set but the database is unreachable: %v", PostgresURLEnv, err)
	}
	return u
}

// Postgres returns a store on a new, empty schema of the test database (see
// PostgresSchemaURL). The store is closed and the schema dropped when the test
// ends.
func Postgres(t testing.TB) store.Store {
	t.Helper()
	u := PostgresSchemaURL(t)
	s, err := store.Open(t.Context(), u)
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	// Registered after the schema's cleanup, so it runs before it.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close postgres store: %v", err)
		}
	})
	return s
}

// PostgresSchemaURL creates a new, empty schema t_<random> in the test
// database (see PostgresURL) and returns the database URL with search_path
// set to it, so that migrations and queries go there. The schema is dropped
// with everything in it when the test ends; close stores opened on the URL
// before that, in a cleanup registered later.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	schema := newSchemaName(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema %q: %v", schema, err)
	}
	t.Cleanup(func() {
		// t.Context is already done during cleanup.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %q: %v", schema, err)
		}
	})
	u, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// WithSearchPath returns the PostgreSQL URL u with its search_path set to
// schema, so that everything the store creates goes there.
func WithSearchPath(u, schema string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", PostgresURLEnv, err)
	}
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()
	return pu.String(), nil
}

func newSchemaName(t testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random schema name: %v", err)
	}
	return "t_" + hex.EncodeToString(b[:])
}
