package webhooks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRecordingLinkHeader: a recording delivery carries Switchboard's
// stable link in X-Switchboard-Recording-Link, so a passthrough endpoint
// (no mapping to read meta.recording_link) gets it too; a tenant without a
// Boooply key gets no link and no header.
func TestRecordingLinkHeader(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		kr := testKeyring(t)
		withKey := mustCreateTenant(t, db, "org_7234567890", "https://ats.example/hook")
		sealed, _ := kr.Seal([]byte("bply_org_test_key"), TenantBoooplyKeyContext(withKey.ID))
		db.Gorm.Model(&tenants.Tenant{}).Where("id = ?", withKey.ID).Update("boooply_api_key_sealed", sealed)
		mustCreateTenant(t, db, "org_nokey", "https://other.example/hook")
		svc := newTestService(t, db)
		rec, _ := Sample("interview.recording")
		keyed, err := svc.Ingest(ctx, mustParse(t, string(rec)))
		if err != nil {
			t.Fatal(err)
		}
		noKey := strings.ReplaceAll(strings.Replace(string(rec), "org_7234567890", "org_nokey", 1), "Boooply-AI-1234567890", "Boooply-AI-2")
		unkeyed, err := svc.Ingest(ctx, mustParse(t, noKey))
		if err != nil {
			t.Fatal(err)
		}
		links, err := NewRecordingLinks(db.Gorm, kr, "https://sb.example", "https://api.boooply.example", nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := links.URLFor(ctx, keyed.EventID)
		if err != nil || want == "" {
			t.Fatalf("URLFor = %q, %v", want, err)
		}
		w := &Worker{links: links, userAgent: "Switchboard/test"}
		for _, tc := range []struct {
			name    string
			eventID int64
			want    string
		}{{"tenant with a Boooply key", keyed.EventID, want}, {"tenant without one", unkeyed.EventID, ""}} {
			var id int64
			db.Gorm.Raw("SELECT id FROM deliveries WHERE event_id = ?", tc.eventID).Scan(&id)
			tg, err := loadJoined(ctx, db.Gorm, &targetQuery{}, id)
			if err != nil {
				t.Fatal(err)
			}
			req, _, err := w.buildRequest(ctx, tg, routing.Rendered{URL: tg.endpoint.URL, Body: tg.event.Body}, "dlv_test", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("X-Switchboard-Recording-Link"); got != tc.want {
				t.Errorf("%s: X-Switchboard-Recording-Link %q, want %q", tc.name, got, tc.want)
			}
		}
	})
}
