package webhooks

import (
	"context"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/migrations"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestCandidateName(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"data":{"candidateName":"Jane Doe"}}`, "Jane Doe"},
		{`{"data":{"candidateName":"Ja\u0000ne"}}`, "Jane"},
		{"{\"data\":{\"candidateName\":\"Zo\xffë\"}}", "Zoë"},
		{`{"data":{"candidateName":42}}`, ""},
		{`{"data":{}}`, ""},
		{`not json`, ""},
		{``, ""},
	}
	for _, tc := range cases {
		if got := CandidateName([]byte(tc.body)); got != tc.want {
			t.Errorf("CandidateName(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
	if got := likeContains(`50%_a\b`); got != `%50\%\_a\\b%` {
		t.Errorf("likeContains escaped %q", got)
	}
}

// TestCandidateBackfill: migration 00010 fills candidate_name for events
// stored before it (text names only; bodies that are not JSON, purged or
// without a string name keep ”), on both dialects.
func TestCandidateBackfill(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		fsys, err := migrations.FS(string(db.Dialect))
		if err != nil {
			t.Fatal(err)
		}
		dialect := goose.DialectSQLite3
		if db.Dialect == database.Postgres {
			dialect = goose.DialectPostgres
		}
		p, err := goose.NewProvider(dialect, db.SQL, fsys, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 9); err != nil {
			t.Fatalf("down to 9: %v", err)
		}
		bodies := map[string]string{"b-1": `{"data":{"candidateName":"Ana Silva"}}`, "b-2": `{"data":{"candidateName":7}}`,
			"b-3": `not json`, "b-4": ``}
		for code, body := range bodies {
			err := db.Gorm.Exec("INSERT INTO events (event_type, meeting_code, revision, fingerprint, body, received_at) VALUES ('interview.scores', ?, 1, ?, ?, ?)",
				code, code, []byte(body), time.Now().UTC()).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("up: %v", err)
		}
		want := map[string]string{"b-1": "Ana Silva", "b-2": "", "b-3": "", "b-4": ""}
		for code, name := range want {
			var got string
			if err := db.Gorm.Raw("SELECT candidate_name FROM events WHERE meeting_code = ?", code).Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			if got != name {
				t.Errorf("%s: candidate_name %q, want %q", code, got, name)
			}
		}
	})
}

// TestCandidateFilterBeyondASCII: the candidate filter ignores case on
// both dialects, accented capitals included: SQLite's lower() folds only
// A to Z, so "émilie" missed "Émilie" there and found her on PostgreSQL.
func TestCandidateFilterBeyondASCII(t *testing.T) {
	testdb.EachLocale(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newTestService(t, db)
		mustCreateTenant(t, db, "org_cand", "https://a.example/hook")
		body := `{"event":"interview.scores","data":{"meetingCode":"m-cand","sourceId":"org_cand","candidateName":"Émilie Müller","timestamp":"2026-01-01T00:00:00Z"}}`
		if _, err := svc.Ingest(ctx, mustParse(t, body)); err != nil {
			t.Fatal(err)
		}
		// A name sent decomposed ("e" + U+0301): found by a composed search,
		// as the composed name is by a decomposed one.
		decomposed := `{"event":"interview.scores","data":{"meetingCode":"m-nfd","sourceId":"org_cand","candidateName":"Jose\u0301 Nun\u0303ez","timestamp":"2026-01-01T00:00:00Z"}}`
		if _, err := svc.Ingest(ctx, mustParse(t, decomposed)); err != nil {
			t.Fatal(err)
		}
		store := NewStore(db.Gorm)
		for _, text := range []string{"josé", "NUÑEZ", "nuñ"} {
			evs, _, err := store.ListEvents(ctx, EventFilter{Candidate: text, Limit: 10})
			if err != nil || len(evs) != 1 || evs[0].MeetingCode != "m-nfd" {
				t.Errorf("events by composed candidate %q: %v (err %v), want m-nfd", text, evs, err)
			}
			rows, _, err := store.ListDeliveryRows(ctx, DeliveryFilter{Candidate: text, Limit: 10})
			if err != nil || len(rows) != 1 {
				t.Errorf("deliveries by composed candidate %q: %d (err %v), want 1", text, len(rows), err)
			}
		}
		for _, text := range []string{"émilie müller", "ÉMILIE", "MÜLLER", "E\u0301milie", "mu\u0308ller"} {
			evs, _, err := store.ListEvents(ctx, EventFilter{Candidate: text, Limit: 10})
			if err != nil || len(evs) != 1 {
				t.Errorf("events by candidate %q: %d (err %v), want 1", text, len(evs), err)
			}
			rows, _, err := store.ListDeliveryRows(ctx, DeliveryFilter{Candidate: text, Limit: 10})
			if err != nil || len(rows) != 1 {
				t.Errorf("deliveries by candidate %q: %d (err %v), want 1", text, len(rows), err)
			}
		}
	})
}
