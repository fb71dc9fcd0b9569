package webhooks

import (
	"context"
	"reflect"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestLoadJoined: the one-query load reads exactly what four separate reads
// of the delivery, event, endpoint and health return (JSON columns, times,
// nullable fields), and a missing delivery is NotFound.
func TestLoadJoined(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := newTestService(t, db)
		mustCreateTenant(t, db, "org-load", "https://ats.example/a")
		if err := db.Gorm.Exec("UPDATE endpoints SET headers = ?, subscriptions = ?, consecutive_failures = 2, max_concurrency = 3",
			`{"X-A":"1"}`, `["interview.evaluation"]`).Error; err != nil {
			t.Fatal(err)
		}
		res, err := svc.Ingest(context.Background(), mustParse(t, `{"event":"interview.evaluation","data":{"meetingCode":"load-1","sourceId":"org-load","summary":"s"}}`))
		if err != nil || res.Deliveries != 1 {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		var id int64
		if err := db.Gorm.Raw("SELECT id FROM deliveries WHERE event_id = ?", res.EventID).Scan(&id).Error; err != nil {
			t.Fatal(err)
		}
		var want target
		g := db.Gorm
		if err := g.First(&want.delivery, id).Error; err != nil {
			t.Fatal(err)
		}
		if err := g.First(&want.event, want.delivery.EventID).Error; err != nil {
			t.Fatal(err)
		}
		if err := g.First(&want.endpoint, want.delivery.EndpointID).Error; err != nil {
			t.Fatal(err)
		}
		if err := g.First(&want.health, want.delivery.EndpointID).Error; err != nil {
			t.Fatal(err)
		}
		got, err := loadJoined(context.Background(), g, &targetQuery{}, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.mappingVersion != nil || got.tenantStatus != tenants.StatusActive {
			t.Errorf("mapping version %v, tenant status %q; want none, active", got.mappingVersion, got.tenantStatus)
		}
		want.tenantStatus = tenants.StatusActive
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("joined load differs:\n got %+v\nwant %+v", *got, want)
		}
		if got.endpoint.Headers["X-A"] != "1" || len(got.endpoint.Subscriptions) != 1 || got.health.ConsecutiveFailures != 2 || len(got.event.Body) == 0 {
			t.Errorf("joined load lost fields: %+v", *got)
		}
		if err := g.Exec("INSERT INTO mapping_versions (tenant_id, endpoint_id, number, spec, created_at) VALUES (?, ?, 1, '{}', ?), (?, ?, 2, '{}', ?)",
			want.endpoint.TenantID, want.endpoint.ID, want.delivery.CreatedAt, want.endpoint.TenantID, want.endpoint.ID, want.delivery.CreatedAt).Error; err != nil {
			t.Fatal(err)
		}
		var current int64
		if err := g.Raw("SELECT id FROM mapping_versions WHERE number = 2").Scan(&current).Error; err != nil {
			t.Fatal(err)
		}
		if got, err = loadJoined(context.Background(), g, &targetQuery{}, id); err != nil || got.mappingVersion == nil || *got.mappingVersion != current {
			t.Errorf("mapping version = %v (err %v), want %d (the highest number)", got.mappingVersion, err, current)
		}
		_, err = loadJoined(context.Background(), g, &targetQuery{}, id+1000)
		if p, ok := problem.As(err); !ok || p.Code != problem.CodeNotFound {
			t.Errorf("missing delivery: got %v, want not found", err)
		}
	})
}
