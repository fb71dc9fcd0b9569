package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRecordingLinkUpstreamRefusals: when Boooply refuses the tenant's
// organization key, following a link says so (not "try again shortly") and
// the log names the tenant; a recording Boooply no longer has is a 404; any
// other failure stays a 503 to retry.
func TestRecordingLinkUpstreamRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		kr := testKeyring(t)
		var answer atomic.Int32
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(int(answer.Load()))
		}))
		t.Cleanup(api.Close)
		tn := mustCreateTenant(t, db, "org_7234567890", "https://ats.example/hook")
		sealed, _ := kr.Seal([]byte("bply_org_revoked_key"), TenantBoooplyKeyContext(tn.ID))
		db.Gorm.Model(&tenants.Tenant{}).Where("id = ?", tn.ID).Update("boooply_api_key_sealed", sealed)
		rec, _ := Sample("interview.recording")
		r, err := newTestService(t, db).Ingest(ctx, mustParse(t, string(rec)))
		if err != nil {
			t.Fatal(err)
		}
		links, err := NewRecordingLinks(db.Gorm, kr, "https://sb.example", api.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		link, err := links.URLFor(ctx, r.EventID)
		if err != nil || link == "" {
			t.Fatalf("URLFor = %q, %v", link, err)
		}
		var logs bytes.Buffer
		rh := NewRecordingHandler(links, slog.New(slog.NewTextHandler(&logs, nil)))
		app := testApp(nil, func(app *fiber.App) { RecordingRoutes(app, rh) })
		for _, tc := range []struct {
			name       string
			boooply    int
			wantStatus int
			wantBody   string
			wantLog    string
		}{
			{"key refused", 401, 503, "refused this organization's API key", fmt.Sprintf("tenant %d", tn.ID)},
			{"key forbidden", 403, 503, "refused this organization's API key", "refused a tenant's organization API key"},
			{"recording gone", 404, 404, "recording not found", "no longer has a recording"},
			{"Boooply down", 502, 503, "try again shortly", "did not give a fresh recording URL"},
		} {
			answer.Store(int32(tc.boooply))
			logs.Reset()
			resp, err := app.Test(httptest.NewRequest("GET", strings.TrimPrefix(link, "https://sb.example"), nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if !strings.Contains(logs.String(), tc.wantLog) || strings.Contains(logs.String(), "bply_org_revoked_key") {
				t.Errorf("%s: log %q, want it to mention %q and never the key", tc.name, logs.String(), tc.wantLog)
			}
		}
	})
}
