package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers database/sql driver "pgx"
	_ "modernc.org/sqlite"             // registers database/sql driver "sqlite"
)

// DefaultSQLitePath is the SQLite file Open uses for the empty URL, relative
// to the working directory.
const DefaultSQLitePath = "golive.db"

// acceptedURLs names the URL forms Open accepts, for error messages.
const acceptedURLs = `"" (SQLite file golive.db in the working directory), "sqlite:PATH", "sqlite://PATH", "file:PATH" (an SQLite URI filename), "postgres://…" or "postgresql://…"`

// SQLite pool sizes. All writes go through one connection, so writers in this
// process queue in database/sql instead of meeting SQLITE_BUSY; readers use
// their own pool and, under WAL, never wait for the writer.
const (
	sqliteReaders = 8
	// sqliteBusyTimeoutMS bounds how long a connection waits for a lock held
	// by another process (or for a checkpoint) before SQLITE_BUSY.
	sqliteBusyTimeoutMS = 10000
)

// PostgreSQL pool size, per process.
const (
	postgresMaxConns    = 10
	postgresConnMaxIdle = 5 * time.Minute
)

// Open opens the store named by url and applies pending migrations:
//
//   - "" is the SQLite file golive.db in the working directory;
//   - "sqlite:PATH" and "sqlite://PATH" are the SQLite file at PATH (taken
//     literally; "sqlite:///abs/x.db" is /abs/x.db);
//   - "file:…" is an SQLite URI filename (https://sqlite.org/uri.html);
//   - "postgres://…" and "postgresql://…" are PostgreSQL connection URLs as
//     pgx understands them (query parameters such as sslmode and search_path
//     are honoured).
//
// SQLite databases are created if missing; in-memory ones are refused because
// the store opens several connections. Open fails if the database is
// unreachable.
func Open(ctx context.Context, url string) (Store, error) {
	switch {
	case url == "":
		return openSQLite(ctx, sqliteFileURI(DefaultSQLitePath))
	case hasPrefixFold(url, "sqlite://"), hasPrefixFold(url, "sqlite:"):
		p := url[len("sqlite:"):]
		if hasPrefixFold(url, "sqlite://") {
			p = url[len("sqlite://"):]
		}
		if p == "" {
			return nil, fmt.Errorf("open store: %q names no SQLite file; want \"sqlite:PATH\"", url)
		}
		if p == ":memory:" {
			return nil, fmt.Errorf("open store: %q: in-memory SQLite databases are not supported, use a file", url)
		}
		return openSQLite(ctx, sqliteFileURI(p))
	case hasPrefixFold(url, "file:"):
		if strings.HasPrefix(url[len("file:"):], ":memory:") || strings.Contains(url, "mode=memory") {
			return nil, fmt.Errorf("open store: %q: in-memory SQLite databases are not supported, use a file", url)
		}
		return openSQLite(ctx, url)
	case hasPrefixFold(url, "postgres://"), hasPrefixFold(url, "postgresql://"):
		return openPostgres(ctx, url)
	default:
		return nil, fmt.Errorf("open store: unsupported database URL %q; want %s", redactURL(url), acceptedURLs)
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// sqliteFileURI turns a file path into an SQLite URI filename, escaping the
// characters URIs give a meaning to.
func sqliteFileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// sqliteDSN adds modernc.org/sqlite connection parameters to an SQLite URI
// filename. The driver runs every _pragma on each new connection.
func sqliteDSN(uri string, params url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + params.Encode()
}

func openSQLite(ctx context.Context, uri string) (Store, error) {
	busy := fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeoutMS)
	// synchronous(FULL): in WAL mode NORMAL already keeps every committed
	// transaction across a crash of the process (kill -9), because the
	// commit has been written to the WAL file; it can lose the last
	// transactions on power loss or an OS crash. The inbox acknowledges a
	// webhook to GitHub once its row commits, and GitHub does not redeliver,
	// so FULL fsyncs the WAL at every commit. The ingester's group commit
	// pays that once per batch, not per delivery.
	//
	// _txlock=immediate: transactions take the write lock at BEGIN, so a
	// transaction never has to upgrade a read lock — the upgrade is where
	// SQLite returns SQLITE_BUSY without consulting busy_timeout.
	wparams := url.Values{
		"_pragma": {busy, "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)"},
		"_txlock": {"immediate"},
	}
	w, err := sql.Open("sqlite", sqliteDSN(uri, wparams))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", uri, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// The writer connects first: it switches the file to WAL before readers
	// open it.
	if err := migrate(ctx, w, sqliteDialect); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: migrate: %w", uri, err)
	}

	rparams := url.Values{"_pragma": {busy, "query_only(1)"}}
	r, err := sql.Open("sqlite", sqliteDSN(uri, rparams))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", uri, err)
	}
	r.SetMaxOpenConns(sqliteReaders)
	r.SetMaxIdleConns(sqliteReaders)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", uri, err)
	}
	return newSQLStore(sqliteDialect, w, r), nil
}

func openPostgres(ctx context.Context, dsn string) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %q: %w", redactURL(dsn), err)
	}
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(postgresConnMaxIdle)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %q: %w", redactURL(dsn), err)
	}
	if err := migrate(ctx, db, postgresDialect); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %q: migrate: %w", redactURL(dsn), err)
	}
	return newSQLStore(postgresDialect, db, db), nil
}

// redactURL hides credentials in a database URL for messages: the whole
// userinfo (user and password) and any password parameter. It also copes with
// strings that are not valid URLs.
func redactURL(raw string) string {
	const mask = "xxxxx"
	out := raw
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = url.User(mask)
		out = u.String()
	} else if i := strings.LastIndex(raw, "@"); i >= 0 {
		// No parsable userinfo, but something before an @ may still be a
		// credential: keep only the scheme.
		scheme := ""
		if j := strings.Index(raw[:i], "://"); j >= 0 {
			scheme = raw[:j+len("://")]
		} else if j := strings.Index(raw[:i], ":"); j >= 0 {
			scheme = raw[:j+1]
		}
		out = scheme + mask + raw[i:]
	}
	// password=… as a query or keyword/value parameter.
	var b strings.Builder
	for {
		i := strings.Index(strings.ToLower(out), "password=")
		if i < 0 {
			b.WriteString(out)
			break
		}
		b.WriteString(out[:i+len("password=")])
		b.WriteString(mask)
		out = out[i+len("password="):]
		if j := strings.IndexAny(out, "& "); j >= 0 {
			out = out[j:]
		} else {
			out = ""
		}
	}
	return b.String()
}
