package database_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// revisionRow is what migration 00016 must carry over for each event.
type revisionRow struct {
	ID          int64
	EventType   string
	MeetingCode string
	SourceID    *string
	TenantID    *int64
	Revision    int
	Fingerprint string
	Body        []byte
	Duplicates  int
}

// fillAt15 stores what a database at 00015 can hold: one source's revision
// chain with a redelivery count, another source's event for the same
// meetingCode (the next revision under the old keys), null-source events,
// deliveries, attempts and a recording link pointing at them, and a deleted
// newest event (the id it had must not come back).
func fillAt15(t *testing.T, db *database.DB) {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exec := func(query string, args ...any) {
		t.Helper()
		if err := db.Gorm.Exec(query, args...).Error; err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	exec("INSERT INTO tenants (id, name, source_id, created_at, updated_at) VALUES (1, 'A', 'org_a', ?, ?), (2, 'B', 'org_b', ?, ?)", now, now, now, now)
	exec("INSERT INTO endpoints (id, tenant_id, url, skip_revisions, created_at, updated_at) VALUES (1, 1, 'https://a.example/hook', TRUE, ?, ?), (2, 2, 'https://b.example/hook', FALSE, ?, ?)", now, now, now, now)
	ev := "INSERT INTO events (id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, duplicates, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	exec(ev, 1, "interview.evaluation", "m1", "org_a", 1, 1, "fp-a1", []byte(`{"a":1}`), 2, now)
	exec(ev, 2, "interview.evaluation", "m1", "org_a", 1, 2, "fp-a2", []byte(`{"a":2}`), 0, now)
	exec(ev, 3, "interview.evaluation", "m1", "org_b", 2, 3, "fp-b1", []byte(`{"b":1}`), 0, now)
	exec(ev, 4, "interview.scores", "m2", nil, nil, 1, "fp-n1", []byte(`{"n":1}`), 5, now)
	exec(ev, 5, "interview.scores", "m2", nil, nil, 2, "fp-n2", []byte(`{"n":2}`), 0, now)
	exec(ev, 9, "interview.scores", "m9", "org_a", 1, 1, "fp-gone", []byte(`{}`), 0, now)
	exec("DELETE FROM events WHERE id = 9")
	dl := "INSERT INTO deliveries (id, event_id, tenant_id, endpoint_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'delivered', ?, ?)"
	exec(dl, 1, 1, 1, 1, now, now)
	exec(dl, 2, 2, 1, 1, now, now)
	exec(dl, 3, 3, 2, 2, now, now)
	exec("INSERT INTO attempts (delivery_id, tenant_id, number, started_at, duration_ms) VALUES (1, 1, 1, ?, 12)", now)
	exec("INSERT INTO recording_links (event_id, tenant_id, created_at) VALUES (2, 1, ?)", now)
	if db.Dialect == database.Postgres { // explicit ids leave the sequences behind
		for table, id := range map[string]int{"tenants": 2, "endpoints": 2, "events": 9, "deliveries": 3} {
			exec("SELECT setval(pg_get_serial_sequence(?, 'id'), ?)", table, id)
		}
	}
}

func eventRows(t *testing.T, db *database.DB) []revisionRow {
	t.Helper()
	var out []revisionRow
	// The columns by name, not SELECT *: a later migration adding a column
	// to events (00023) would change the cached statement's result type
	// between the reads before and after migrating (PostgreSQL refuses that).
	err := db.Gorm.Table("events").Select("id, event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, duplicates").
		Order("id").Find(&out).Error
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, db *database.DB, query string) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestMigrateRevisionsBySource: migration 00016 keys events by source as
// well on a database filled at 00015, keeping every row, id, reference and
// index; afterwards two sources may hold the same revision of a
// meetingCode, while two null-source copies of one event still collide.
func TestMigrateRevisionsBySource(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := database.Open(ctx, target.URL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.MigrateUpTo(ctx, 15); err != nil {
				t.Fatal(err)
			}
			fillAt15(t, db)
			before := eventRows(t, db)
			if err := db.Migrate(ctx, nil); err != nil {
				t.Fatalf("migrate to 00016: %v", err)
			}
			if after := eventRows(t, db); !reflect.DeepEqual(after, before) {
				t.Fatalf("events after migrating:\n%+v\nwant\n%+v", after, before)
			}
			for query, want := range map[string]int{
				"SELECT COUNT(*) FROM deliveries WHERE event_id IN (1, 2, 3)": 3,
				"SELECT COUNT(*) FROM attempts WHERE delivery_id = 1":         1,
				"SELECT COUNT(*) FROM recording_links WHERE event_id = 2":     1,
			} {
				if got := count(t, db, query); got != want {
					t.Errorf("%s = %d, want %d", query, got, want)
				}
			}
			checkEventIndexes(t, db)
			checkForeignKeys(t, db)
			checkNewKeys(t, db)
		})
	}
}

func checkEventIndexes(t *testing.T, db *database.DB) {
	t.Helper()
	got := indexNames(t, db, "events")
	for _, want := range []string{"events_fingerprint_src_uq", "events_revision_src_uq", "events_unrouted_idx", "events_tenant_idx", "events_received_idx"} {
		if !got[want] {
			t.Errorf("index %s is missing: %v", want, got)
		}
	}
	for _, gone := range []string{"events_fingerprint_uq", "events_revision_uq"} {
		if got[gone] {
			t.Errorf("old key %s is still there", gone)
		}
	}
}

// checkForeignKeys: nothing dangles, SQLite still enforces foreign keys on
// the migrating connection, and deleting an event still cascades.
func checkForeignKeys(t *testing.T, db *database.DB) {
	t.Helper()
	if db.Dialect == database.SQLite {
		if n := count(t, db, "SELECT COUNT(*) FROM pragma_foreign_key_check"); n != 0 {
			t.Errorf("PRAGMA foreign_key_check lists %d violations", n)
		}
		if on := count(t, db, "PRAGMA foreign_keys"); on != 1 {
			t.Errorf("PRAGMA foreign_keys = %d after migrating, want 1", on)
		}
	}
	err := db.Gorm.Exec("INSERT INTO deliveries (event_id, tenant_id, endpoint_id, status, created_at, updated_at) VALUES (999, 1, 1, 'pending', ?, ?)",
		time.Now(), time.Now()).Error
	if err == nil {
		t.Error("a delivery of a missing event was stored: deliveries.event_id no longer references events")
	}
	if err := db.Gorm.Exec("DELETE FROM events WHERE id = 3").Error; err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM deliveries WHERE event_id = 3"); n != 0 {
		t.Errorf("deleting event 3 left %d deliveries: ON DELETE CASCADE is gone", n)
	}
}

// checkNewKeys: another source may now start its own chain of m1, a
// null-source copy still collides, and ids continue past the deleted one.
func checkNewKeys(t *testing.T, db *database.DB) {
	t.Helper()
	now := time.Now().UTC()
	ins := "INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
	if err := db.Gorm.Exec(ins, "interview.evaluation", "m1", "org_b", 1, "fp-b0", []byte(`{}`), now).Error; err != nil {
		t.Errorf("org_b's revision 1 of m1 beside org_a's: %v", err)
	}
	if err := db.Gorm.Exec(ins, "interview.scores", "m2", nil, 2, "fp-other", []byte(`{}`), now).Error; !database.IsUniqueViolation(err) {
		t.Errorf("a second null-source revision 2 of m2: err = %v, want a unique violation", err)
	}
	if err := db.Gorm.Exec(ins, "interview.scores", "m2", nil, 3, "fp-n1", []byte(`{}`), now).Error; !database.IsUniqueViolation(err) {
		t.Errorf("a null-source copy of fp-n1: err = %v, want a unique violation", err)
	}
	var id int64
	if err := db.SQL.QueryRow("SELECT MAX(id) FROM events").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id <= 9 {
		t.Errorf("newest event id %d, want past the deleted 9", id)
	}
}

// TestMigrateRevisionsBySourceDown: 00016's Down brings the old keys back on
// a database whose rows fit them, keeping rows and foreign keys, and Up
// applies again.
func TestMigrateRevisionsBySourceDown(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if err := db.MigrateDownTo(ctx, 15); err != nil {
			t.Fatal(err)
		}
		fillAt15(t, db)
		before := eventRows(t, db)
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateDownTo(ctx, 15); err != nil {
			t.Fatalf("down again with rows: %v", err)
		}
		if after := eventRows(t, db); !reflect.DeepEqual(after, before) {
			t.Fatalf("events after Down:\n%+v\nwant\n%+v", after, before)
		}
		ins := "INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at) VALUES ('interview.evaluation', 'm1', 'org_c', 1, 'fp-c', ?, ?)"
		if err := db.Gorm.Exec(ins, []byte(`{}`), time.Now().UTC()).Error; !database.IsUniqueViolation(err) {
			t.Errorf("revision 1 of m1 from a third source after Down: err = %v, want the old key's unique violation", err)
		}
		checkForeignKeys(t, db)
		if err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("up after down: %v", err)
		}
		checkEventIndexes(t, db)
	})
}
