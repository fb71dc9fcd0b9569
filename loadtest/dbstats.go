package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-gw/switchboard/database"
)

// dbProbe reads the target database's own counters: commits and row writes
// per event (PostgreSQL's pg_stat_database) and bytes stored per event.
type dbProbe struct {
	db *database.DB
}

// openProbe opens the target's database; nil (and no error) without a URL:
// the figures it reads are then reported unavailable (Report.Unavailable).
func openProbe(ctx context.Context, rawURL string) (*dbProbe, error) {
	if rawURL == "" {
		return nil, nil
	}
	db, err := database.Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	return &dbProbe{db: db}, nil
}

func (p *dbProbe) close() {
	if p != nil {
		p.db.Close()
	}
}

// dbCounters are cumulative counters of the target database (PostgreSQL only).
type dbCounters struct {
	Commits, Inserted, Updated, Deleted int64
	ok                                  bool
}

// DefaultStatsWait covers PostgreSQL's delayed statistics: an idle backend
// reports its counters up to 10 s after its last transaction.
const DefaultStatsWait = 11 * time.Second

func (p *dbProbe) counters(ctx context.Context) dbCounters {
	var c dbCounters
	if p.db.Dialect != database.Postgres {
		return c
	}
	err := p.db.SQL.QueryRowContext(ctx, `SELECT xact_commit, tup_inserted, tup_updated, tup_deleted
		FROM pg_stat_database WHERE datname = current_database()`).Scan(&c.Commits, &c.Inserted, &c.Updated, &c.Deleted)
	c.ok = err == nil
	return c
}

// DBDelta is the database work of one phase per event stored in it (acked
// events, plus any the server stored after the client gave up waiting).
// Counts include River's own bookkeeping (fetches, completions, maintenance)
// and this tool's few probe queries.
type DBDelta struct {
	Commits           int64   `json:"commits"`
	RowsWritten       int64   `json:"rows_inserted_updated_deleted"`
	CommitsPerEvent   float64 `json:"commits_per_stored_event"`
	RowWritesPerEvent float64 `json:"row_writes_per_stored_event"`
}

func (p *dbProbe) delta(ctx context.Context, before dbCounters, stored int64, wait time.Duration) *DBDelta {
	if !before.ok || stored <= 0 || wait <= 0 {
		return nil
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return nil
	}
	after := p.counters(ctx)
	if !after.ok {
		return nil
	}
	d := &DBDelta{Commits: after.Commits - before.Commits,
		RowsWritten: (after.Inserted + after.Updated + after.Deleted) - (before.Inserted + before.Updated + before.Deleted)}
	d.CommitsPerEvent = float64(d.Commits) / float64(stored)
	d.RowWritesPerEvent = float64(d.RowsWritten) / float64(stored)
	return d
}

// Storage is what the stored events cost on disk.
type Storage struct {
	Events        int64   `json:"events"`
	Bytes         int64   `json:"bytes"` // events, deliveries, attempts (PostgreSQL) or the whole file (SQLite)
	QueueBytes    int64   `json:"queue_bytes,omitempty"`
	BytesPerEvent float64 `json:"bytes_per_event"`
	What          string  `json:"what"`
}

// events counts the stored events (-1 when the count fails).
func (p *dbProbe) events(ctx context.Context) int64 {
	var n int64
	if err := p.db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM events").Scan(&n); err != nil {
		return -1
	}
	return n
}

func (p *dbProbe) storage(ctx context.Context) (*Storage, error) {
	s := &Storage{}
	if err := p.db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM events").Scan(&s.Events); err != nil {
		return nil, fmt.Errorf("count events: %w", err)
	}
	if p.db.Dialect == database.Postgres {
		s.What = "pg_total_relation_size(events + deliveries + attempts); queue = river_job"
		err := p.db.SQL.QueryRowContext(ctx, `SELECT pg_total_relation_size('events') + pg_total_relation_size('deliveries')
			+ pg_total_relation_size('attempts'), pg_total_relation_size('river_job')`).Scan(&s.Bytes, &s.QueueBytes)
		if err != nil {
			return nil, fmt.Errorf("relation sizes: %w", err)
		}
	} else {
		s.What = "SQLite pages in use after a checkpoint (every table, River's jobs included)"
		var pages, size, free int64
		_, _ = p.db.SQL.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		for q, dst := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA page_size": &size, "PRAGMA freelist_count": &free} {
			if err := p.db.SQL.QueryRowContext(ctx, q).Scan(dst); err != nil {
				return nil, fmt.Errorf("%s: %w", q, err)
			}
		}
		s.Bytes = (pages - free) * size
	}
	if s.Events > 0 {
		s.BytesPerEvent = float64(s.Bytes) / float64(s.Events)
	}
	return s, nil
}
