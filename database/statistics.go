package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Why Switchboard analyzes its own tables at all: a statement that pgx has
// prepared runs on a generic plan after five calls, and PostgreSQL keeps
// that plan until the table's statistics change. Planned while a new table
// was nearly empty, the batched delivery load and record join deliveries
// by a sequential scan, and keep doing so as the table grows, until
// autovacuum first analyzes it (it visits each database once a minute by
// default). On a fresh database at 1,000 events/s that read ten million
// rows in the first 17 seconds. Analyzing a table that has doubled since its
// statistics were taken replans those statements; a table that grows
// slowly, or any large one, is left to autovacuum.

// StatisticsMinPages is the smallest table (in 8 kB pages) RefreshStatistics
// analyzes: PostgreSQL plans a never-analyzed table as if it had 10 pages,
// and below a few hundred rows a sequential scan is the right plan anyway.
const StatisticsMinPages = 64

// statisticsLockID is the advisory lock that lets one replica at a time
// analyze; the others skip that round.
const statisticsLockID int64 = 0x5357_5354_4154 // "SWSTAT"

// grownTablesSQL names the tables among $1 that exist, that the current
// user may analyze (owner or superuser: PostgreSQL would skip another's
// table with a warning, every round), have at least $2 pages and at least
// twice the pages their planner statistics describe (pg_class.relpages,
// set by ANALYZE and VACUUM; 0 before either ran), each with the first
// column of its primary key (NULL without one).
const grownTablesSQL = `SELECT c.relname, a.attname FROM unnest($1::text[]) AS t(name)
	JOIN pg_class c ON c.oid = to_regclass(t.name)
	LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
	LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
	WHERE pg_has_role(current_user, c.relowner, 'USAGE')
	AND pg_relation_size(c.oid) / current_setting('block_size')::bigint >= greatest($2::bigint, 2 * c.relpages::bigint)
	ORDER BY c.relname`

// analyzeSQL analyzes a grown table's primary-key column only. That is
// enough: ANALYZE sets the table's row and page counts (what the stale
// plans got wrong) and invalidates the plans, whatever columns it is
// given. One column costs a fraction of all (a whole-table ANALYZE of
// events was a tenth of PostgreSQL's time at 1,000 events/s), and with a
// column list ANALYZE leaves autovacuum's count of changed rows alone, so
// autovacuum's own full ANALYZE still comes when it would have.
func analyzeSQL(table, column string) string {
	sql := "ANALYZE " + pgx.Identifier{table}.Sanitize()
	if column != "" {
		sql += " (" + pgx.Identifier{column}.Sanitize() + ")"
	}
	return sql
}

// refreshStatisticsTarget is the statistics target of the refresh's
// ANALYZE: it samples 300 × target rows. The row and page counts it exists
// for come out right from a small sample, and the default target (100,
// 30,000 rows) cost 90–210 ms of one core on a slow 2-core VM, long
// enough to hold up the acks of that second; 10 took 18 ms there. The
// sampled column is a serial id, which ten histogram buckets describe well
// enough; autovacuum's own ANALYZE, at the default target, comes later.
const refreshStatisticsTarget = 10

// RefreshStatistics analyzes each of tables that has doubled in size since
// its planner statistics were taken (and holds at least StatisticsMinPages
// pages), and returns their names. It does nothing on SQLite, and nothing
// while another process holds the statistics lock.
func (db *DB) RefreshStatistics(ctx context.Context, tables ...string) ([]string, error) {
	if db.Dialect != Postgres || len(tables) == 0 {
		return nil, nil
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("refresh statistics: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var locked bool
	if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", statisticsLockID).Scan(&locked); err != nil {
		return nil, fmt.Errorf("refresh statistics: lock: %w", err)
	}
	if !locked {
		return nil, nil
	}
	grown, err := grownTables(ctx, tx, tables)
	if err != nil {
		return nil, err
	}
	if len(grown) == 0 {
		return nil, nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL default_statistics_target = %d", refreshStatisticsTarget)); err != nil {
		return nil, fmt.Errorf("refresh statistics: sample size: %w", err)
	}
	names := make([]string, len(grown))
	for i, g := range grown {
		if _, err := tx.ExecContext(ctx, analyzeSQL(g.table, g.column)); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", g.table, err)
		}
		names[i] = g.table
	}
	// Cached plans of the analyzed tables are invalidated when this commits.
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("refresh statistics: commit: %w", err)
	}
	return names, nil
}

// grownTable is a table to analyze and its primary key's first column ("" without one).
type grownTable struct{ table, column string }

func grownTables(ctx context.Context, tx *sql.Tx, tables []string) ([]grownTable, error) {
	rows, err := tx.QueryContext(ctx, grownTablesSQL, tables, StatisticsMinPages)
	if err != nil {
		return nil, fmt.Errorf("refresh statistics: sizes: %w", err)
	}
	defer rows.Close()
	var grown []grownTable
	for rows.Next() {
		var g grownTable
		var column sql.NullString
		if err := rows.Scan(&g.table, &column); err != nil {
			return nil, fmt.Errorf("refresh statistics: sizes: %w", err)
		}
		g.column = column.String
		grown = append(grown, g)
	}
	return grown, rows.Err()
}

// KeepStatistics calls RefreshStatistics on tables every interval until ctx
// ends (PostgreSQL only: it returns at once on SQLite).
func (db *DB) KeepStatistics(ctx context.Context, interval time.Duration, log *slog.Logger, tables ...string) {
	if db.Dialect != Postgres || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		analyzed, err := db.RefreshStatistics(ctx, tables...)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			log.Warn("Could not refresh the planner statistics of grown tables.", "error", err)
		case len(analyzed) > 0:
			log.Info("Analyzed tables that doubled in size since their planner statistics.", "tables", analyzed)
		}
	}
}
