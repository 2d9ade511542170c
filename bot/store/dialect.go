package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect is everything the SQL in sqlstore.go needs to know about the
// database it runs on. The statements themselves are shared: both SQLite
// (3.35+) and PostgreSQL accept INSERT … ON CONFLICT (id) DO NOTHING / DO
// UPDATE SET col = excluded.col and UPDATE … RETURNING, so upserts need no
// hook here.
type dialect struct {
	name string
	// numbered: placeholders are $1, $2, … rather than ?.
	numbered bool
	// claimLock is appended to the subquery that picks rows to claim.
	claimLock string
	// rowLock is appended to a SELECT that reads rows a transaction goes on
	// to change, so that concurrent transactions doing the same wait for it.
	// Empty when transactions are serialised anyway (SQLite's begin
	// IMMEDIATE, see openSQLite).
	rowLock string
	// bytewise follows a text expression in ORDER BY or PARTITION BY to
	// compare it byte by byte, as SQLite does by default and Go's < does:
	// the same order everywhere, and much cheaper sorts on PostgreSQL than
	// its locale's collation.
	bytewise string
	// anyArray: test membership in a subquery's keys as = ANY(ARRAY(…)),
	// which PostgreSQL evaluates once and looks up through the primary key,
	// where x IN (…) lets it hash-join against a scan of the whole table.
	anyArray bool
	// migrations is the directory of migrations/ holding this dialect's
	// scripts.
	migrations string
	// migrationsTable creates schema_migrations if it is missing.
	migrationsTable string
	// lockMigrations and unlockMigrations bracket migration on one session
	// so that several processes starting together apply each script once.
	// Empty when the database serialises the migration transactions itself.
	lockMigrations, unlockMigrations string
	// timeArg encodes a time argument; the zero time becomes NULL.
	timeArg func(time.Time) any
}

var sqliteDialect = &dialect{
	name:       "sqlite",
	migrations: "sqlite",
	migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
	)`,
	// Migration transactions begin IMMEDIATE (see sqliteDSN), which takes the
	// database's single write lock, and each re-checks schema_migrations
	// inside it.
	timeArg: func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return toUTCMicro(t).UnixMicro()
	},
}

var postgresDialect = &dialect{
	name:       "postgres",
	numbered:   true,
	claimLock:  " FOR UPDATE SKIP LOCKED",
	rowLock:    " FOR UPDATE",
	bytewise:   ` COLLATE "C"`,
	anyArray:   true,
	migrations: "postgres",
	migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT      NOT NULL PRIMARY KEY,
		name       TEXT        NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
	)`,
	// The key is per schema, so databases holding several schemas (tests)
	// migrate them independently.
	lockMigrations:   `SELECT pg_advisory_lock(hashtext('golive.schema_migrations.' || current_schema()))`,
	unlockMigrations: `SELECT pg_advisory_unlock(hashtext('golive.schema_migrations.' || current_schema()))`,
	timeArg: func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return toUTCMicro(t)
	},
}

// toUTCMicro is t in UTC truncated to the microsecond, the precision both
// dialects store.
func toUTCMicro(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// rebind rewrites the ? placeholders of query for the dialect. Queries in
// this package never contain a literal question mark.
func (d *dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// in is a condition that the expression it follows is among the values of
// the one-column subquery sub.
func (d *dialect) in(sub string) string {
	if d.anyArray {
		return "= ANY(ARRAY(" + sub + "))"
	}
	return "IN (" + sub + ")"
}

// scanTime returns a scan destination for a time column written by
// dialect.timeArg: unix microseconds (SQLite), a time.Time (PostgreSQL) or
// NULL (the zero time). The result is in UTC.
func scanTime(t *time.Time) sql.Scanner { return timeScanner{t} }

type timeScanner struct{ t *time.Time }

func (s timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.t = time.Time{}
	case int64:
		*s.t = time.UnixMicro(v).UTC()
	case time.Time:
		*s.t = v.UTC()
	default:
		return fmt.Errorf("scan time: unsupported column type %T", src)
	}
	return nil
}

// placeholders returns n comma-separated ? placeholders.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
