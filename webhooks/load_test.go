package webhooks

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestLoadJoined: the one-query load reads exactly what four separate reads
// of the delivery, event, endpoint and health return (JSON columns, times,
// nullable fields, every column set), and a missing delivery is NotFound.
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
		fillEveryColumn(t, db, id)
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
		if got.endpoint.Headers["X-A"] != "1" || len(got.endpoint.Subscriptions) != 1 || got.health.ConsecutiveFailures != 2 || len(got.event.Body) == 0 ||
			got.endpoint.RateLimitPerSecond != 2.5 || !got.endpoint.Ordered || got.delivery.RoundStartedAt == nil || got.event.VideoURLExpiresAt == nil {
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

// fillEveryColumn gives the delivery, its event and its endpoint a value
// other than the zero value or NULL in every column the load reads.
func fillEveryColumn(t *testing.T, db *database.DB, deliveryID int64) {
	t.Helper()
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	var d Delivery
	if err := db.Gorm.First(&d, deliveryID).Error; err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		table string
		id    int64
		set   map[string]any
	}{
		{"deliveries", d.ID, map[string]any{"last_status_code": 502, "last_error": "bad gateway", "delivered_at": at, "mapping_version_id": 77,
			"mapped_body": []byte(`{"m":1}`), "round_start_attempts": 3, "round_started_at": at, "payload_purged_at": at, "attempts": 4}},
		{"events", d.EventID, map[string]any{"duplicates": 2, "last_duplicate_at": at, "video_api_url": "https://v.example/1",
			"video_url_expires_at": at, "candidate_name": "Ada", "revision": 2}},
		{"endpoints", d.EndpointID, map[string]any{"description": "desc", "method": "PUT", "probe_url": "https://ats.example/probe",
			"auth_type": "header", "auth_header_name": "X-Key", "auth_secret_sealed": "sealed-a", "signing_secret_sealed": "sealed-s",
			"previous_signing_secret_sealed": "sealed-p", "previous_signing_expires_at": at, "timeout_ms": 1500, "max_attempts": 9,
			"max_age_seconds": 3600, "retry_client_errors": true, "skip_revisions": true, "rate_limit_per_second": 2.5, "ordered": true,
			"client_cert_pem": "cert", "client_key_sealed": "sealed-k", "auth_secret_set_at": at, "signing_secret_set_at": at,
			"client_key_set_at": at, "failing_since": at, "circuit_open_until": at, "disabled_reason": "why", "disabled_at": at}},
	} {
		if err := db.Gorm.Table(u.table).Where("id = ?", u.id).Updates(u.set).Error; err != nil {
			t.Fatalf("fill %s: %v", u.table, err)
		}
	}
}
