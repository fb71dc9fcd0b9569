package webhooks

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// seedBulk stores n events over the last 24 h for one tenant, each with a
// delivery (90 % delivered, 10 % failed), in batches.
func seedBulk(b *testing.B, db *database.DB, n int) {
	b.Helper()
	tn, ep := createTenant(b, db, "org_bench_stats", "http://127.0.0.1:1/x", nil)
	now := time.Now().UTC()
	const batch = 500
	for start := 0; start < n; start += batch {
		evs := make([]Event, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			code := fmt.Sprintf("bench-%d", i)
			name := fmt.Sprintf("Candidate %d", i)
			evs = append(evs, Event{EventType: eventTypes[i%4].Name, MeetingCode: code, TenantID: &tn.ID, Revision: 1, Fingerprint: code,
				Body: []byte(`{"data":{"candidateName":"` + name + `"}}`), CandidateName: name,
				ReceivedAt: now.Add(-time.Duration(i%1440) * time.Minute)})
		}
		if err := db.Gorm.Create(&evs).Error; err != nil {
			b.Fatal(err)
		}
		ds := make([]Delivery, len(evs))
		for i, ev := range evs {
			done := ev.ReceivedAt.Add(time.Duration(50+i%200) * time.Millisecond)
			ds[i] = Delivery{EventID: ev.ID, TenantID: tn.ID, EndpointID: ep.ID, Status: DeliveryDelivered, Attempts: 1,
				CreatedAt: ev.ReceivedAt, UpdatedAt: done, DeliveredAt: &done}
			if i%10 == 0 {
				ds[i].Status, ds[i].DeliveredAt, ds[i].LastError = DeliveryFailed, nil, "HTTP 500"
			}
		}
		if err := db.Gorm.Create(&ds).Error; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDashboardStats is the dashboard's queries over 20,000
// deliveries in the last 24 h; BenchmarkCandidateSearch is the deliveries
// page filtered by part of a candidate's name over the same rows.
func BenchmarkDashboardStats(b *testing.B) {
	for i, target := range testdb.Targets(b) {
		b.Run(target.Name, func(b *testing.B) {
			db := testdb.Open(b, testdb.Targets(b)[i].URL)
			seedBulk(b, db, 20000)
			store, now := NewStore(db.Gorm), time.Now().UTC()
			b.Run("stats-24h", func(b *testing.B) {
				for b.Loop() {
					if _, err := store.Stats(context.Background(), StatsQuery{Since: now.Add(-24 * time.Hour), Until: now.Add(time.Hour), Buckets: 24}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("candidate-search", func(b *testing.B) {
				for b.Loop() {
					rows, _, err := store.ListDeliveryRows(context.Background(), DeliveryFilter{Candidate: "date 12345", Limit: 50})
					if err != nil || len(rows) != 1 {
						b.Fatalf("%d rows, %v", len(rows), err)
					}
				}
			})
		})
	}
}
