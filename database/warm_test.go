package database_test

import (
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestWarmOpensThePool checks that Warm leaves the pool's connections open
// and idle (PostgreSQL backends already forked), capped at the pool's limit,
// and reports a failure without losing what opened.
func TestWarmOpensThePool(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if db.Dialect == database.SQLite {
			if n, err := db.Warm(ctx, 8); n != 0 || err != nil {
				t.Fatalf("SQLite: warmed %d, %v; want nothing", n, err)
			}
			return
		}
		const limit = 6
		db.LimitConns(limit)
		if open := db.SQL.Stats().OpenConnections; open >= limit {
			t.Fatalf("before warming: %d connections open, want fewer than %d for the test to mean anything", open, limit)
		}
		n, err := db.Warm(ctx, limit+4)
		if err != nil || n != limit {
			t.Fatalf("Warm = %d, %v; want %d (capped at the pool's limit), nil", n, err, limit)
		}
		if st := db.SQL.Stats(); st.OpenConnections != limit || st.Idle != limit {
			t.Fatalf("after warming: open %d, idle %d; want %d and %d", st.OpenConnections, st.Idle, limit, limit)
		}
		var backends int
		if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()`).Scan(&backends); err != nil {
			t.Fatal(err)
		}
		if backends < limit {
			t.Fatalf("%d PostgreSQL backends on the database, want at least %d", backends, limit)
		}

		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		db.LimitConns(limit + 2)
		n, err = db.Warm(cancelled, limit+2)
		if err == nil || n != 0 {
			t.Fatalf("Warm with a cancelled context = %d, %v; want 0 and an error", n, err)
		}
		if open := db.SQL.Stats().OpenConnections; open != limit {
			t.Fatalf("after a failed warm-up: %d connections open, want the %d already warm", open, limit)
		}
	})
}
