package webhooks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/tidwall/gjson"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestRecordingExpiry(t *testing.T) {
	cases := []struct {
		name, data string
		want       string // RFC 3339, "" for nil
	}{
		{"from X-Amz-Date + X-Amz-Expires", `{"videoUrl":"https://s3.example/v.mp4?X-Amz-Date=20260321T184000Z&X-Amz-Expires=3600&X-Amz-Signature=ab","timestamp":"2026-03-21T18:40:00.000Z"}`, "2026-03-21T19:40:00Z"},
		{"7 days after the event", `{"videoUrl":"https://s3.amazonaws.com/...?X-Amz-Expires=604800&...","timestamp":"2026-03-21T18:40:00.000Z"}`, "2026-03-28T18:40:00Z"},
		{"X-Amz-Expires without X-Amz-Date: that lifetime after the event", `{"videoUrl":"https://s3.example/v.mp4?X-Amz-Expires=3600&X-Amz-Signature=ab","timestamp":"2026-03-21T18:40:00.000Z"}`, "2026-03-21T19:40:00Z"},
		{"SigV2 absolute Expires", `{"videoUrl":"https://bucket.s3.amazonaws.com/v.mp4?AWSAccessKeyId=AKIA&Expires=1774122000&Signature=ab%3D","timestamp":"2026-03-21T18:40:00.000Z"}`, "2026-03-21T19:40:00Z"},
		{"X-Amz-Date unreadable, X-Amz-Expires kept", `{"videoUrl":"https://s3.example/v.mp4?X-Amz-Date=yesterday&X-Amz-Expires=86400","timestamp":"2026-03-21T18:40:00.000Z"}`, "2026-03-22T18:40:00Z"},
		{"nothing readable", `{"videoUrl":"::","timestamp":"yesterday"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, exp := recordingFields(gjson.Parse(tc.data))
			got := ""
			if exp != nil {
				got = exp.Format(time.RFC3339)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// boooplyStandIn is a loopback stand-in for Boooply's recording API.
type boooplyStandIn struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
	paths []string
}

func newBoooplyStandIn(t *testing.T) *boooplyStandIn {
	s := &boooplyStandIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.auths, s.paths = append(s.auths, r.Header.Get("Authorization")), append(s.paths, r.URL.Path)
		n := len(s.paths)
		s.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer bply_org_test_key" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success":true,"data":{"downloadUrl":"https://s3.example/fresh.mp4?X-Amz-Signature=`+strings.Repeat("f", n)+`"}}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestRecordingLink: a recording of a tenant with a stored Boooply key gets
// a stable link; following it asks Boooply (on the configured base, with
// the org key) for a fresh URL and redirects there; forged and revoked
// tokens are 404.
func TestRecordingLink(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		kr := testKeyring(t)
		api := newBoooplyStandIn(t)
		tn := mustCreateTenant(t, db, "org_7234567890", "https://ats.example/hook")
		sealed, _ := kr.Seal([]byte("bply_org_test_key"), TenantBoooplyKeyContext(tn.ID))
		db.Gorm.Model(&tenants.Tenant{}).Where("id = ?", tn.ID).Update("boooply_api_key_sealed", sealed)
		mustCreateTenant(t, db, "org_nokey", "https://other.example/hook")

		svc := newTestService(t, db)
		rec, _ := Sample("interview.recording")
		r, err := svc.Ingest(ctx, mustParse(t, string(rec)))
		if err != nil {
			t.Fatal(err)
		}
		ev, _ := NewStore(db.Gorm).FindEvent(ctx, r.EventID)
		if ev.VideoAPIURL == nil || !strings.HasSuffix(*ev.VideoAPIURL, "/Boooply-AI-1234567890/recording") || ev.VideoURLExpiresAt == nil ||
			!ev.VideoURLExpiresAt.Equal(time.Date(2026, 3, 28, 18, 40, 0, 0, time.UTC)) {
			t.Fatalf("recording columns: %v %v", ev.VideoAPIURL, ev.VideoURLExpiresAt)
		}
		noKey := strings.Replace(string(rec), "org_7234567890", "org_nokey", 1)
		noKey = strings.Replace(noKey, "Boooply-AI-1234567890", "Boooply-AI-2", -1)
		r2, err := svc.Ingest(ctx, mustParse(t, noKey))
		if err != nil {
			t.Fatal(err)
		}

		links, err := NewRecordingLinks(db.Gorm, kr, "https://sb.example", api.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		link, err := links.URLFor(ctx, r.EventID)
		if err != nil || !strings.HasPrefix(link, "https://sb.example/r/rl_") {
			t.Fatalf("URLFor = %q, %v", link, err)
		}
		if none, _ := links.URLFor(ctx, r2.EventID); none != "" {
			t.Fatalf("tenant without a Boooply key got a link %q", none)
		}
		if got, none := workerLink(t, db, links, r.EventID), workerLink(t, db, links, r2.EventID); got != link || none != "" {
			t.Fatalf("the worker's links: %q and %q, want %q and none", got, none, link)
		}
		rh := NewRecordingHandler(links, discardLog())
		app := testApp(nil, func(app *fiber.App) {
			RecordingRoutes(app, rh)
			RecordingAdminRoutes(app.Group("/api/v1", asRole(auth.RoleAdmin, db.Gorm)), rh)
		})
		get := func(path string) (int, string) {
			resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode, resp.Header.Get("Location")
		}
		path := strings.TrimPrefix(link, "https://sb.example")
		for i := 1; i <= 2; i++ {
			status, loc := get(path)
			if status != http.StatusFound || loc != "https://s3.example/fresh.mp4?X-Amz-Signature="+strings.Repeat("f", i) {
				t.Fatalf("follow %d: %d → %q, want 302 to a fresh URL", i, status, loc)
			}
		}
		if api.paths[0] != "/api/integration/interviews/Boooply-AI-1234567890/recording" || api.auths[0] != "Bearer bply_org_test_key" {
			t.Fatalf("Boooply saw %v with %v", api.paths, api.auths)
		}
		forged := path[:len(path)-2] + "AA"
		if status, _ := get(forged); status != 404 {
			t.Fatalf("forged token: %d, want 404", status)
		}
		var linkID int64
		db.Gorm.Raw("SELECT id FROM recording_links WHERE event_id = ?", r.EventID).Scan(&linkID)
		resp, err := app.Test(httptest.NewRequest("DELETE", "/api/v1/recording-links/"+strconv.FormatInt(linkID, 10), nil), -1)
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("revoke: %v %v", resp.StatusCode, err)
		}
		if status, _ := get(path); status != 404 {
			t.Fatalf("revoked link: %d, want 404", status)
		}
		if got := workerLink(t, db, links, r.EventID); got != "" {
			t.Fatalf("the worker's link after revoking: %q, want none", got)
		}
	})
}

// workerLink is the recording link the delivery worker gives the mapping of
// the event's delivery.
func workerLink(t *testing.T, db *database.DB, links *RecordingLinks, eventID int64) string {
	t.Helper()
	var id int64
	if err := db.Gorm.Raw("SELECT id FROM deliveries WHERE event_id = ?", eventID).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("delivery of event %d: %d, %v", eventID, id, err)
	}
	tg, err := loadJoined(context.Background(), db.Gorm, &targetQuery{}, id)
	if err != nil {
		t.Fatal(err)
	}
	return (&Worker{links: links}).recordingLink(tg)
}
