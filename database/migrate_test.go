package database_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// indexNames lists the indexes of table.
func indexNames(t *testing.T, db *database.DB, table string) map[string]bool {
	t.Helper()
	query := "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?"
	if db.Dialect == database.SQLite {
		query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
	}
	var names []string
	if err := db.Gorm.Raw(query, table).Scan(&names).Error; err != nil {
		t.Fatalf("list indexes of %s: %v", table, err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// TestMigrateWriteDiet: migration 00012 leaves no duplicate revision index
// and, on PostgreSQL, none of River's GIN indexes (River's migrations run
// first, so they exist to be dropped on a new database too); the unique
// index that enforces revisions (by source since 00016) stays, and migrating
// again is a no-op.
func TestMigrateWriteDiet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		events := indexNames(t, db, "events")
		if events["events_revisions_idx"] {
			t.Error("events_revisions_idx still exists")
		}
		if !events["events_revision_src_uq"] {
			t.Errorf("events_revision_src_uq (00016) is gone: %v", events)
		}
		if db.Dialect == database.Postgres {
			jobs := indexNames(t, db, "river_job")
			for _, gone := range []string{"river_job_args_index", "river_job_metadata_index"} {
				if jobs[gone] {
					t.Errorf("%s still exists", gone)
				}
			}
			if !jobs["river_job_prioritized_fetching_index"] {
				t.Errorf("River's fetch index is missing: %v", jobs)
			}
		}
		var out bytes.Buffer
		if err := db.Migrate(context.Background(), &out); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		if out.Len() != 0 {
			t.Errorf("second migrate applied something: %s", out.String())
		}
	})
}

// TestConcurrentMigrate: replicas starting together on a fresh PostgreSQL
// database all finish migrating. The waiting replica must not sit in a
// blocking pg_advisory_lock: the lock holder's CREATE INDEX CONCURRENTLY
// (00008) waits for that open statement, which waits for the lock.
func TestConcurrentMigrate(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		t.Skip(testdb.PostgresEnv + " is not set")
	}
	url := testdb.NewPostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const replicas = 3
	errs := make(chan error, replicas)
	for range replicas {
		db, err := database.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		go func() { errs <- db.Migrate(ctx, nil) }()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Fatalf("migrate: %v (want every replica to finish within 60 s)", err)
		}
	}
}

// TestStatusWritesNothing: listing migrations on a database never migrated
// reports each one pending and creates no table (goose's Status would create
// its version table), then reports each applied after Migrate.
func TestStatusWritesNothing(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := database.Open(ctx, target.URL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			count := func(applied bool) int {
				t.Helper()
				st, err := db.Status(ctx)
				if err != nil {
					t.Fatalf("status: %v", err)
				}
				n := 0
				for _, s := range st {
					if s.Applied == applied {
						n++
					}
				}
				if len(st) == 0 {
					t.Fatal("status lists no migration")
				}
				return n
			}
			if n := count(true); n != 0 {
				t.Fatalf("fresh database: %d migrations applied, want 0", n)
			}
			query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
			if db.Dialect == database.Postgres {
				query = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"
			}
			var tables int
			if err := db.SQL.QueryRowContext(ctx, query).Scan(&tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Fatalf("status created %d table(s), want none", tables)
			}
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			if n := count(false); n != 0 {
				t.Fatalf("after migrate: %d migrations pending, want 0", n)
			}
		})
	}
}
