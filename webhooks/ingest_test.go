package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// newTestService returns an ingest service over db whose queue is a real,
// unstarted River client: jobs are inserted and can be counted.
func newTestService(t testing.TB, db *database.DB) *Service {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, NewWorker(WorkerConfig{DB: db.Gorm, Mapper: routing.NewMapper(db.Gorm), Guard: &egress.Guard{}, Keyring: testKeyring(t), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	policy := NewRetryPolicy(nil, 0)
	client, err := river.NewClient(db.RiverDriver(), &river.Config{Workers: workers, RetryPolicy: policy})
	if err != nil {
		t.Fatal(err)
	}
	return NewService(db.Gorm, routing.NewPlanner(), client, policy, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func mustCreateTenant(t testing.TB, db *database.DB, sourceID string, urls ...string) *tenants.Tenant {
	t.Helper()
	tn := &tenants.Tenant{Name: "T " + sourceID, SourceID: sourceID, Status: tenants.StatusActive}
	var eps []*tenants.Endpoint
	for _, u := range urls {
		eps = append(eps, &tenants.Endpoint{URL: u, Enabled: true, Subscriptions: []string{}})
	}
	if err := tenants.NewStore(db.Gorm).CreateTenant(context.Background(), tn, eps); err != nil {
		t.Fatal(err)
	}
	return tn
}

func mustParse(t testing.TB, body string) Inbound {
	t.Helper()
	in, err := ParseInbound([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func count(t testing.TB, db *gorm.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIngestDedupeAndRevisions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newTestService(t, db)
		mustCreateTenant(t, db, "org_1", "https://a.example/hook", "https://b.example/hook")
		first := `{"event":"interview.evaluation","data":{"meetingCode":"m1","sourceId":"org_1","summary":"v1","timestamp":"2026-01-01T00:00:00Z"}}`
		redelivery := strings.Replace(first, "2026-01-01", "2026-01-02", 1)
		revised := strings.Replace(first, `"v1"`, `"v2"`, 1)

		r1, err := svc.Ingest(ctx, mustParse(t, first))
		if err != nil || r1.Status != Accepted || r1.Revision != 1 || r1.Deliveries != 2 || !r1.Routed {
			t.Fatalf("first: %+v, %v", r1, err)
		}
		r2, err := svc.Ingest(ctx, mustParse(t, redelivery))
		if err != nil || r2.Status != Duplicate || r2.EventID != r1.EventID {
			t.Fatalf("redelivery: %+v, %v; want duplicate of %d", r2, err, r1.EventID)
		}
		r3, err := svc.Ingest(ctx, mustParse(t, revised))
		if err != nil || r3.Status != Accepted || r3.Revision != 2 || r3.Deliveries != 2 {
			t.Fatalf("revision: %+v, %v", r3, err)
		}
		if n := count(t, db.Gorm, "SELECT duplicates FROM events WHERE id = ?", r1.EventID); n != 1 {
			t.Errorf("duplicates on the original = %d, want 1", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries"); n != 4 {
			t.Errorf("deliveries = %d, want 4 (two revisions × two endpoints)", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM river_job"); n != 4 {
			t.Errorf("river jobs = %d, want 4", n)
		}
		stored, err := NewStore(db.Gorm).FindEvent(ctx, r1.EventID)
		if err != nil || string(stored.Body) != first {
			t.Errorf("stored body = %q (%v), want the exact bytes", stored.Body, err)
		}
	})
}

func TestIngestUnrouted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := newTestService(t, db)
		for i, body := range []string{
			`{"event":"interview.scores","data":{"meetingCode":"m1","sourceId":null}}`,
			`{"event":"interview.scores","data":{"meetingCode":"m2","sourceId":"org_unknown"}}`,
		} {
			r, err := svc.Ingest(context.Background(), mustParse(t, body))
			if err != nil || r.Routed || r.Deliveries != 0 {
				t.Fatalf("event %d: %+v, %v; want unrouted", i, r, err)
			}
		}
		evs, _, err := NewStore(db.Gorm).ListEvents(context.Background(), EventFilter{Unrouted: true})
		if err != nil || len(evs) != 2 {
			t.Fatalf("unrouted events = %d (%v), want 2", len(evs), err)
		}
		if evs[0].SourceID == nil || *evs[0].SourceID != "org_unknown" {
			t.Errorf("newest unrouted event should keep the sourceId it carried, got %v", evs[0].SourceID)
		}
	})
}

// TestIngestRollbackLeavesNothing proves the event row, delivery rows and
// River jobs commit together: a failure after the job insert leaves none.
func TestIngestRollbackLeavesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := newTestService(t, db)
		mustCreateTenant(t, db, "org_1", "https://a.example/hook")
		in := mustParse(t, `{"event":"interview.scores","data":{"meetingCode":"m1","sourceId":"org_1"}}`)
		boom := errors.New("boom after enqueue")
		err := db.Gorm.Transaction(func(tx *gorm.DB) error {
			res, err := svc.ingestTx(context.Background(), tx, []Inbound{in}, time.Now())
			if err != nil || res[0].Deliveries != 1 {
				return fmt.Errorf("ingest: %+v, %w", res, err)
			}
			if n := count(t, tx, "SELECT COUNT(*) FROM river_job"); n != 1 {
				return fmt.Errorf("river jobs inside the transaction = %d, want 1", n)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transaction error = %v, want boom", err)
		}
		for _, table := range []string{"events", "deliveries", "river_job"} {
			if n := count(t, db.Gorm, "SELECT COUNT(*) FROM "+table); n != 0 {
				t.Errorf("%s has %d rows after rollback, want 0", table, n)
			}
		}
	})
}

// TestIngestConcurrentDuplicates posts one event 50 times at once: one event
// row, one delivery per endpoint, 49 duplicates counted.
func TestIngestConcurrentDuplicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := newTestService(t, db)
		mustCreateTenant(t, db, "org_1", "https://a.example/hook", "https://b.example/hook")
		in := mustParse(t, `{"event":"interview.scores","data":{"meetingCode":"race","sourceId":"org_1"}}`)
		ingestConcurrently(t, svc, slices.Repeat([]Inbound{in}, 50))
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 1 {
			t.Errorf("events = %d, want 1", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries"); n != 2 {
			t.Errorf("deliveries = %d, want 2", n)
		}
		if n := count(t, db.Gorm, "SELECT duplicates FROM events"); n != 49 {
			t.Errorf("duplicates = %d, want 49", n)
		}
	})
}
