package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrationsFS holds one directory of scripts per dialect. A script is named
// NNNN_description.sql; NNNN is its version, applied in ascending order and
// recorded in schema_migrations. Scripts are never edited once released: a
// change is a new script.
//
//go:embed migrations
var migrationsFS embed.FS

type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations reads the dialect's scripts ordered by version.
func loadMigrations(d *dialect) ([]migration, error) {
	dir := path.Join("migrations", d.migrations)
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations %q: %w", dir, err)
	}
	var ms []migration
	seen := make(map[int64]string)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 || name == "" {
			return nil, fmt.Errorf("migration %q: name is not NNNN_description.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := migrationsFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies the dialect's pending migrations to db, each in its own
// transaction together with its schema_migrations row. It is safe to run from
// several processes at once.
func migrate(ctx context.Context, db *sql.DB, d *dialect) (err error) {
	ms, err := loadMigrations(d)
	if err != nil {
		return err
	}
	// One session throughout: PostgreSQL advisory locks belong to a session.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("get connection: %w", err)
	}
	defer conn.Close()
	if d.lockMigrations != "" {
		if _, err := conn.ExecContext(ctx, d.lockMigrations); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		defer func() {
			// Unlock even when ctx is done; closing the session would
			// release the lock too, but the connection returns to the pool.
			_, uerr := conn.ExecContext(context.WithoutCancel(ctx), d.unlockMigrations)
			if uerr != nil && err == nil {
				err = fmt.Errorf("release migration lock: %w", uerr)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, d.migrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := applyMigration(ctx, conn, d, m); err != nil {
			return fmt.Errorf("apply migration %d %q: %w", m.version, m.name, err)
		}
	}
	return nil
}

// applyMigration runs m unless schema_migrations already records it.
func applyMigration(ctx context.Context, conn *sql.Conn, d *dialect, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, d.rebind(`SELECT 1 FROM schema_migrations WHERE version = ?`), m.version).Scan(&one)
	switch {
	case err == nil:
		return nil // already applied
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("check schema_migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), m.version, m.name); err != nil {
		return fmt.Errorf("record in schema_migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
