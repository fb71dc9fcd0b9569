package webhooks

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestEventPageShowsRecordingLinks: a recording event's page shows the
// stable videoApiUrl and when the pre-signed videoUrl expires (X-Amz-Date +
// X-Amz-Expires), marked expired once the page's clock is past it.
func TestEventPageShowsRecordingLinks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		body := `{"event":"interview.recording","data":{"meetingCode":"m-rec-page","sourceId":"org_rec_page",` +
			`"videoUrl":"https://s3.example/v.mp4?X-Amz-Date=20260321T184000Z&X-Amz-Expires=3600&X-Amz-Signature=x",` +
			`"videoApiUrl":"https://api.boooply.com/api/integration/interviews/m-rec-page/recording","timestamp":"2026-03-21T18:40:00.000Z"}}`
		res, err := e.svc.Ingest(context.Background(), mustParse(t, body))
		if err != nil || res.Status != Accepted {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		page := fmt.Sprintf("/admin/events/%d", res.EventID)
		for _, tc := range []struct {
			name, wantExpiry string
			now              time.Time
		}{
			{"before expiry", "2026-03-21 19:40:00 UTC<", time.Date(2026, 3, 21, 19, 0, 0, 0, time.UTC)},
			{"after expiry", "2026-03-21 19:40:00 UTC (expired)", time.Date(2026, 3, 22, 0, 0, 0, 0, time.UTC)},
		} {
			app := testPagesWith(e, func(p *Pages) { p.now = func() time.Time { return tc.now } })
			status, html, _ := doPage(t, app, "GET", page, "viewer", "")
			if status != 200 {
				t.Fatalf("%s: status %d", tc.name, status)
			}
			for _, want := range []string{`data-testid="event-video-expires">` + tc.wantExpiry,
				`data-testid="event-video-api-url">https://api.boooply.com/api/integration/interviews/m-rec-page/recording<`} {
				if !strings.Contains(html, want) {
					t.Errorf("%s: the event page lacks %q", tc.name, want)
				}
			}
		}
	})
}
