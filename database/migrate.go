package database

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/switchboard-gw/switchboard/migrations"
)

// migrationLockID serialises migrations of replicas starting together on one
// PostgreSQL (an arbitrary constant: "swbd" in ASCII).
const migrationLockID = 0x73776264

// MigrationStatus is one row of `switchboard migrate status`.
type MigrationStatus struct {
	Component string // "switchboard" or "river"
	Version   int64
	Name      string
	Applied   bool
}

func (db *DB) goose() (*goose.Provider, error) {
	fsys, err := migrations.FS(string(db.Dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", db.Dialect, err)
	}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db.SQL, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("goose provider: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration, River's then ours (ours may tune
// River's tables, see 00012), and reports what it applied to out (nil to
// discard).
func (db *DB) Migrate(ctx context.Context, out io.Writer) error {
	if out == nil {
		out = io.Discard
	}
	unlock, err := db.lockMigrations(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	rm, err := rivermigrate.New(db.RiverDriver(), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("apply river migrations: %w", err)
	}
	for _, v := range res.Versions {
		fmt.Fprintf(out, "applied river migration %d (%s)\n", v.Version, v.Name)
	}
	p, err := db.goose()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply switchboard migrations: %w", err)
	}
	for _, r := range results {
		fmt.Fprintf(out, "applied switchboard migration %d (%s) in %s\n", r.Source.Version, r.Source.Path, r.Duration.Round(1e6))
	}
	return nil
}

// lockMigrations holds a PostgreSQL advisory lock on a dedicated connection,
// so replicas starting together migrate one after the other. SQLite needs no
// lock: it has one writer and one process.
//
// A waiting replica polls with pg_try_advisory_lock instead of blocking in
// pg_advisory_lock: a blocked statement is an open transaction, and CREATE
// INDEX CONCURRENTLY (00008) in the replica holding the lock waits for every
// open transaction to end, so the two would wait for each other forever
// (PostgreSQL's deadlock detector does not see it).
func (db *DB) lockMigrations(ctx context.Context) (func(), error) {
	if db.Dialect != Postgres {
		return func() {}, nil
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration lock connection: %w", err)
	}
	for {
		var got bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", migrationLockID).Scan(&got); err != nil {
			conn.Close()
			return nil, fmt.Errorf("take migration lock: %w", err)
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			conn.Close()
			return nil, fmt.Errorf("take migration lock: %w", ctx.Err())
		case <-time.After(migrationLockPoll):
		}
	}
	return func() {
		// A fresh context: the lock must be released even if ctx was cancelled.
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLockID)
		conn.Close()
	}, nil
}

// migrationLockPoll is how often a replica waiting for another's migrations
// asks for the lock again.
const migrationLockPoll = 200 * time.Millisecond

// hasTable reports whether the current schema has a table of that name.
func (db *DB) hasTable(ctx context.Context, name string) (bool, error) {
	query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.Dialect == Postgres {
		query = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1"
	}
	var n int
	if err := db.SQL.QueryRowContext(ctx, query, name).Scan(&n); err != nil {
		return false, fmt.Errorf("look for table %s: %w", name, err)
	}
	return n > 0, nil
}

// Status lists every known migration and whether it is applied.
func (db *DB) Status(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.goose()
	if err != nil {
		return nil, err
	}
	var out []MigrationStatus
	// goose's Status creates its version table when it is missing: on a
	// database never migrated (or the wrong one), report everything pending
	// and write nothing.
	versioned, err := db.hasTable(ctx, goose.DefaultTablename)
	if err != nil {
		return nil, fmt.Errorf("switchboard migration status: %w", err)
	}
	if !versioned {
		for _, src := range p.ListSources() {
			out = append(out, MigrationStatus{Component: "switchboard", Version: src.Version, Name: filepath.Base(src.Path)})
		}
	} else {
		st, err := p.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("switchboard migration status: %w", err)
		}
		for _, s := range st {
			out = append(out, MigrationStatus{Component: "switchboard", Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied})
		}
	}
	rm, err := rivermigrate.New(db.RiverDriver(), nil)
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	applied := map[int]bool{}
	if existing, err := rm.ExistingVersions(ctx); err == nil {
		for _, m := range existing {
			applied[m.Version] = true
		}
	}
	for _, m := range rm.AllVersions() {
		out = append(out, MigrationStatus{Component: "river", Version: int64(m.Version), Name: m.Name, Applied: applied[m.Version]})
	}
	return out, nil
}

// Ready reports nil when the database answers and no migration is pending.
// Once every migration was seen applied, later calls only ping: migrations
// are never rolled back under a running server.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	if db.migrated.Load() {
		return nil
	}
	st, err := db.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range st {
		if !s.Applied {
			return fmt.Errorf("%s migration %d (%s) is not applied", s.Component, s.Version, s.Name)
		}
	}
	db.migrated.Store(true)
	return nil
}
