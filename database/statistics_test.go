package database_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRefreshStatisticsReplansGrownTable shows the stale plan the keeper
// exists for and that it goes away: a statement prepared while its table
// was empty keeps a sequential scan after the table has grown, until
// RefreshStatistics analyzes the table.
func TestRefreshStatisticsReplansGrownTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if db.Dialect == database.SQLite {
			got, err := db.RefreshStatistics(ctx, "events", "deliveries")
			if err != nil || got != nil {
				t.Fatalf("SQLite: analyzed %v, %v; want nothing", got, err)
			}
			return
		}
		// Rows about as wide as a delivery's; autovacuum off, so only
		// RefreshStatistics analyzes the table during the test.
		mustExec(t, db.SQL, `CREATE TABLE probe (id bigint PRIMARY KEY, v char(200)) WITH (autovacuum_enabled = off)`)
		// Without a primary key the whole table is analyzed.
		mustExec(t, db.SQL, `CREATE TABLE probe_nokey (v char(200)) WITH (autovacuum_enabled = off)`)
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		mustExec(t, conn, `SET plan_cache_mode = force_generic_plan`)
		mustExec(t, conn, `PREPARE upd AS WITH v (id) AS (VALUES ($1::bigint), ($2::bigint), ($3::bigint), ($4::bigint))
			UPDATE probe SET v = 'x' FROM v WHERE probe.id = v.id`)
		plan := func() string {
			t.Helper()
			rows, err := conn.QueryContext(ctx, `EXPLAIN EXECUTE upd(1, 2, 3, 4)`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var lines []string
			for rows.Next() {
				var l string
				if err := rows.Scan(&l); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, l)
			}
			return strings.Join(lines, "\n")
		}
		if p := plan(); !strings.Contains(p, "Seq Scan on probe") {
			t.Fatalf("empty table: want the generic plan's sequential scan, got\n%s", p)
		}
		if got, err := db.RefreshStatistics(ctx, "probe", "probe_nokey", "no_such_table"); err != nil || len(got) != 0 {
			t.Fatalf("empty tables: analyzed %v, %v; want nothing", got, err)
		}

		mustExec(t, db.SQL, `INSERT INTO probe SELECT g, 'x' FROM generate_series(1, 50000) g`)
		mustExec(t, db.SQL, `INSERT INTO probe_nokey SELECT 'x' FROM generate_series(1, 50000)`)
		if p := plan(); !strings.Contains(p, "Seq Scan on probe") {
			t.Fatalf("grown table before the refresh: want the stale sequential scan, got\n%s", p)
		}
		got, err := db.RefreshStatistics(ctx, "probe", "probe_nokey", "no_such_table")
		if err != nil || strings.Join(got, ",") != "probe,probe_nokey" {
			t.Fatalf("grown tables: analyzed %v, %v; want [probe probe_nokey]", got, err)
		}
		for _, table := range got {
			var rows float64
			if err := db.SQL.QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE relname = $1`, table).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows < 45000 || rows > 55000 {
				t.Errorf("%s: planner rows %.0f after the refresh, want about 50,000", table, rows)
			}
		}
		// The refresh samples few rows (its statistics target), so it
		// stays short on a busy machine: 10 histogram buckets, not 100.
		var bounds int
		if err := db.SQL.QueryRowContext(ctx, `SELECT cardinality(histogram_bounds::text::bigint[]) FROM pg_stats WHERE tablename = 'probe' AND attname = 'id'`).Scan(&bounds); err != nil {
			t.Fatal(err)
		}
		if bounds < 2 || bounds > 11 {
			t.Errorf("probe.id: %d histogram bounds after the refresh, want at most 11 (statistics target 10)", bounds)
		}
		if p := plan(); !strings.Contains(p, "Index Scan using probe_pkey") {
			t.Fatalf("after the refresh: want an index scan, got\n%s", p)
		}
		if got, err := db.RefreshStatistics(ctx, "probe", "probe_nokey"); err != nil || len(got) != 0 {
			t.Fatalf("unchanged since the refresh: analyzed %v, %v; want nothing", got, err)
		}
	})
}

// TestRefreshStatisticsOneReplicaAtATime: while another session holds the
// statistics lock, a refresh skips its round instead of waiting.
func TestRefreshStatisticsOneReplicaAtATime(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		t.Skip(testdb.PostgresEnv + " is not set (SQLite has one process and nothing to analyze)")
	}
	db := testdb.Open(t, testdb.NewPostgresURL(t))
	ctx := context.Background()
	mustExec(t, db.SQL, `CREATE TABLE probe (id bigint PRIMARY KEY) WITH (autovacuum_enabled = off)`)
	mustExec(t, db.SQL, `INSERT INTO probe SELECT generate_series(1, 50000)`)
	other, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	mustExec(t, other, `SELECT pg_advisory_lock(`+lockIDLiteral+`)`)
	if got, err := db.RefreshStatistics(ctx, "probe"); err != nil || len(got) != 0 {
		t.Fatalf("lock held elsewhere: analyzed %v, %v; want nothing", got, err)
	}
	mustExec(t, other, `SELECT pg_advisory_unlock(`+lockIDLiteral+`)`)
	if got, err := db.RefreshStatistics(ctx, "probe"); err != nil || len(got) != 1 {
		t.Fatalf("lock free: analyzed %v, %v; want [probe]", got, err)
	}
}

// lockIDLiteral is statisticsLockID as SQL.
const lockIDLiteral = "91634525290836"

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func mustExec(t *testing.T, db execer, query string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestRefreshStatisticsSkipsOthersTables: a user that may not analyze a
// grown table (not its owner) leaves it alone instead of trying, and
// failing with a warning, every round.
func TestRefreshStatisticsSkipsOthersTables(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		t.Skip(testdb.PostgresEnv + " is not set (SQLite has nothing to analyze)")
	}
	url := testdb.NewPostgresURL(t)
	owner := testdb.Open(t, url)
	mustExec(t, owner.SQL, `CREATE TABLE probe (id bigint PRIMARY KEY) WITH (autovacuum_enabled = off)`)
	mustExec(t, owner.SQL, `INSERT INTO probe SELECT generate_series(1, 50000)`)
	// The same server, as a built-in role that owns nothing.
	other, err := database.Open(context.Background(), url+"&options=-c%20role%3Dpg_monitor")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got, err := other.RefreshStatistics(context.Background(), "probe"); err != nil || len(got) != 0 {
		t.Fatalf("not the owner: analyzed %v, %v; want nothing", got, err)
	}
	if got, err := owner.RefreshStatistics(context.Background(), "probe"); err != nil || len(got) != 1 {
		t.Fatalf("the owner: analyzed %v, %v; want [probe]", got, err)
	}
}
