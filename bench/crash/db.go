package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// database is the run's own database: a SQLite file in the work directory,
// or a fresh PostgreSQL database dropped at the end.
type database struct {
	url   string // what golive is given
	admin *sql.DB
	name  string
}

func openDatabase(kind, pgURL, work, runID string) (*database, error) {
	switch kind {
	case "sqlite":
		return &database{url: "sqlite:" + filepath.Join(work, "golive.db")}, nil
	case "postgres":
		admin, err := sql.Open("pgx", pgURL)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := admin.PingContext(ctx); err != nil {
			admin.Close()
			return nil, fmt.Errorf("reach PostgreSQL at %s: %w", redact(pgURL), err)
		}
		name := fmt.Sprintf("golive_crash_%d_%s", os.Getpid(), runID)
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			admin.Close()
			return nil, fmt.Errorf("create database %s: %w", name, err)
		}
		u, _ := url.Parse(pgURL)
		u.Path = "/" + name
		return &database{url: u.String(), admin: admin, name: name}, nil
	}
	return nil, fmt.Errorf("-db %q: want sqlite or postgres", kind)
}

// outage makes the database unreachable for d: new connections are refused
// (ALLOW_CONNECTIONS false) and golive's open ones are terminated; then it
// is reachable again.
func (db *database) outage(ctx context.Context, d time.Duration) error {
	if db.admin == nil {
		return fmt.Errorf("a database outage needs PostgreSQL")
	}
	if _, err := db.admin.ExecContext(ctx, "ALTER DATABASE "+db.name+" ALLOW_CONNECTIONS false"); err != nil {
		return err
	}
	// Keep terminating: a connection being opened as the flag flips may
	// still get through.
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if _, err := db.admin.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", db.name); err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	_, err := db.admin.ExecContext(context.WithoutCancel(ctx), "ALTER DATABASE "+db.name+" ALLOW_CONNECTIONS true")
	return err
}

func (db *database) drop() {
	if db.admin == nil {
		return
	}
	db.admin.Exec("ALTER DATABASE " + db.name + " ALLOW_CONNECTIONS true")
	if _, err := db.admin.Exec("DROP DATABASE IF EXISTS " + db.name + " WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "drop database %s: %v\n", db.name, err)
	}
	db.admin.Close()
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}
