package database_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMigrateRevisionsBySourceDownRefusesClash: rolling 00016 back while two
// sources hold the same revision of a meetingCode fails up front, naming
// why, and leaves the database as the release of 00016 needs it: no index
// of the old keys (PostgreSQL's failed unique build would stay behind,
// INVALID), foreign keys on and no transaction left open (SQLite). Once
// the clash is gone the rollback goes through.
func TestMigrateRevisionsBySourceDownRefusesClash(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ins := "INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES ('interview.evaluation', 'm1', ?, 1, ?, ?, ?)"
		for _, src := range []string{"org_a", "org_b"} {
			if err := db.Gorm.Exec(ins, src, "fp-"+src, []byte(`{}`), time.Now().UTC()).Error; err != nil {
				t.Fatal(err)
			}
		}
		err := db.MigrateDown(ctx, 15, nil)
		if err == nil {
			t.Fatal("down to 15 with a clash: no error, want migration 16 refused")
		}
		if !strings.Contains(err.Error(), "migration 16") || !(strings.Contains(err.Error(), "two_sources_share") || strings.Contains(err.Error(), "more than one source")) {
			t.Errorf("down to 15 with a clash: err = %v, want migration 16 refused for two sources' revisions", err)
		}
		if v := appliedVersion(t, db); v != 16 {
			t.Fatalf("version %d after the refused step, want 16", v)
		}
		for name := range indexNames(t, db, "events") {
			if name == "events_revision_uq" || name == "events_fingerprint_uq" {
				t.Errorf("the refused rollback left index %s behind", name)
			}
		}
		checkSQLiteForeignKeys(t, db)
		if err := db.Gorm.Exec(ins, "org_c", "fp-org_c", []byte(`{}`), time.Now().UTC()).Error; err != nil {
			t.Errorf("a third source's revision 1 of m1 after the refused rollback: %v", err)
		}
		if err := db.Gorm.Exec("DELETE FROM events WHERE source_id <> 'org_a'").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateDown(ctx, 15, nil); err != nil {
			t.Fatalf("down to 15 once the clash is gone: %v", err)
		}
		checkSQLiteForeignKeys(t, db)
	})
}

// TestMigrateRevisionsBySourceDownResumes: on PostgreSQL, 00016's Down runs
// again after an earlier run stopped halfway: with an INVALID index of an
// old key left by a failed concurrent build, or with the old constraints
// already added back.
func TestMigrateRevisionsBySourceDownResumes(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		t.Skip(testdb.PostgresEnv + " is not set")
	}
	for name, interrupt := range map[string]func(t *testing.T, db *database.DB){
		"invalid index left": leaveInvalidRevisionIndex,
		"constraints back":   addOldConstraints,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.Open(t, testdb.NewPostgresURL(t))
			if err := db.MigrateDownTo(ctx, 16); err != nil {
				t.Fatal(err)
			}
			interrupt(t, db)
			if err := db.MigrateDown(ctx, 15, nil); err != nil {
				t.Fatalf("down to 15 after an interrupted one: %v", err)
			}
			got := indexNames(t, db, "events")
			for _, want := range []string{"events_fingerprint_uq", "events_revision_uq"} {
				if !got[want] {
					t.Errorf("index %s is missing after down: %v", want, got)
				}
			}
			if n := count(t, db, "SELECT COUNT(*) FROM pg_index WHERE indrelid = 'events'::regclass AND NOT indisvalid"); n != 0 {
				t.Errorf("%d INVALID indexes on events after down", n)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'events'::regclass AND conname IN ('events_fingerprint_uq', 'events_revision_uq')"); n != 2 {
				t.Errorf("%d of the old constraints after down, want 2", n)
			}
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatalf("up after down: %v", err)
			}
			checkEventIndexes(t, db)
		})
	}
}

// leaveInvalidRevisionIndex builds events_revision_uq CONCURRENTLY over two
// sources' copies of a revision, as a rollback of 00016 without the clash
// check did: the build fails and leaves the index INVALID. The clash is
// then removed, as an operator would before trying again.
func leaveInvalidRevisionIndex(t *testing.T, db *database.DB) {
	t.Helper()
	ins := "INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES ('interview.scores', 'm7', ?, 1, ?, ?, ?)"
	for _, src := range []string{"org_a", "org_b"} {
		if err := db.Gorm.Exec(ins, src, "fp-"+src, []byte(`{}`), time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Gorm.Exec("CREATE UNIQUE INDEX CONCURRENTLY events_revision_uq ON events (meeting_code, event_type, revision)").Error; err == nil {
		t.Fatal("the concurrent build over a clash succeeded; want it to fail")
	}
	if n := count(t, db, "SELECT COUNT(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'events_revision_uq' AND NOT i.indisvalid"); n != 1 {
		t.Fatalf("%d INVALID events_revision_uq after the failed build, want 1", n)
	}
	if err := db.Gorm.Exec("DELETE FROM events WHERE source_id = 'org_b'").Error; err != nil {
		t.Fatal(err)
	}
}

// addOldConstraints runs the Down's first half by hand, as a run stopped
// before it dropped the new indexes leaves it.
func addOldConstraints(t *testing.T, db *database.DB) {
	t.Helper()
	for _, q := range []string{
		"CREATE UNIQUE INDEX CONCURRENTLY events_fingerprint_uq ON events (meeting_code, event_type, fingerprint)",
		"CREATE UNIQUE INDEX CONCURRENTLY events_revision_uq ON events (meeting_code, event_type, revision)",
		"ALTER TABLE events ADD CONSTRAINT events_fingerprint_uq UNIQUE USING INDEX events_fingerprint_uq, ADD CONSTRAINT events_revision_uq UNIQUE USING INDEX events_revision_uq",
	} {
		if err := db.Gorm.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestMigrateWriteDietDownResumes: 00012's rollback rebuilds River's GIN
// indexes and events_revisions_idx CONCURRENTLY (River keeps inserting
// jobs meanwhile); one interrupted earlier left an INVALID index, which
// IF NOT EXISTS would keep: the next rollback drops it and builds it again.
func TestMigrateWriteDietDownResumes(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		t.Skip(testdb.PostgresEnv + " is not set")
	}
	ctx := context.Background()
	db := testdb.Open(t, testdb.NewPostgresURL(t))
	if err := db.MigrateDownTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	// An interrupted CREATE INDEX CONCURRENTLY leaves the index in the
	// catalog, marked not valid.
	for _, q := range []string{
		"CREATE INDEX river_job_args_index ON river_job USING GIN (args)",
		"UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'river_job_args_index'::regclass",
	} {
		if err := db.Gorm.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.MigrateDown(ctx, 11, nil); err != nil {
		t.Fatalf("down to 11 after an interrupted one: %v", err)
	}
	jobs := indexNames(t, db, "river_job")
	for _, want := range []string{"river_job_args_index", "river_job_metadata_index"} {
		if !jobs[want] {
			t.Errorf("index %s is missing after down: %v", want, jobs)
		}
	}
	if !indexNames(t, db, "events")["events_revisions_idx"] {
		t.Error("events_revisions_idx is missing after down")
	}
	if n := count(t, db, "SELECT COUNT(*) FROM pg_index WHERE indrelid IN ('river_job'::regclass, 'events'::regclass) AND NOT indisvalid"); n != 0 {
		t.Errorf("%d INVALID indexes after down", n)
	}
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatalf("up after down: %v", err)
	}
	jobs = indexNames(t, db, "river_job")
	if jobs["river_job_args_index"] || jobs["river_job_metadata_index"] {
		t.Errorf("River's GIN indexes are back after up: %v", jobs)
	}
}
