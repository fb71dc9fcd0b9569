package tenants

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestDeleteWaitsForArrivingHistory: deleting a tenant, or an endpoint,
// while an ingest that gives it its first event and delivery is still
// committing answers 409 and keeps them, instead of counting no history,
// then cascading the new delivery away. PostgreSQL only: SQLite runs one
// writing transaction at a time, so the delete can't start mid-ingest.
func TestDeleteWaitsForArrivingHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		if db.Gorm.Dialector.Name() != "postgres" {
			t.Skip("SQLite write transactions are serial")
		}
		ed := newTestEditor(t, db.Gorm)
		ctx := context.Background()
		for _, tc := range []struct {
			name   string
			delete func(tn *Tenant, endpointID int64) error
		}{
			{"tenant", func(tn *Tenant, _ int64) error { return ed.DeleteTenant(ctx, tn.ID) }},
			{"endpoint", func(tn *Tenant, ep int64) error { return ed.RemoveEndpoint(ctx, tn.ID, ep) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tn := mustCreateTenant(t, ed, "Race "+tc.name, "org_race_"+tc.name, StatusActive, EndpointInput{URL: ptr("http://127.0.0.1:9/h")})
				eps, err := ed.ListEndpoints(ctx, tn.ID)
				if err != nil || len(eps) != 1 {
					t.Fatalf("endpoints = %v, %v", eps, err)
				}
				ingest := db.Gorm.Begin() // an ingest in flight: its rows are not committed yet
				defer ingest.Rollback()
				var eventID int64
				if err := ingest.Raw(`INSERT INTO events (event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, received_at)
					VALUES ('interview.evaluation', ?, ?, ?, 1, 'f', '{}', now()) RETURNING id`, "m-"+tc.name, tn.SourceID, tn.ID).Scan(&eventID).Error; err != nil {
					t.Fatal(err)
				}
				if err := ingest.Exec(`INSERT INTO deliveries (event_id, tenant_id, endpoint_id, created_at, updated_at) VALUES (?, ?, ?, now(), now())`,
					eventID, tn.ID, eps[0].ID).Error; err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- tc.delete(tn, eps[0].ID) }()
				waitForLockWait(t, db.Gorm)
				if err := ingest.Commit().Error; err != nil {
					t.Fatal(err)
				}
				err = <-done
				if p, ok := problem.As(err); !ok || p.Code != problem.CodeConflict {
					t.Fatalf("delete while an ingest commits = %v, want a conflict", err)
				}
				var n int64
				if err := db.Gorm.Table("deliveries").Where("endpoint_id = ?", eps[0].ID).Count(&n).Error; err != nil || n != 1 {
					t.Fatalf("deliveries of the endpoint after the refused delete = %d (%v), want 1", n, err)
				}
			})
		}
	})
}

// waitForLockWait returns once another session of this database waits on a lock.
func waitForLockWait(t *testing.T, db *gorm.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the delete never waited on the ingest's lock")
}
