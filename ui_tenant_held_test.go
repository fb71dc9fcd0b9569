package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
	"github.com/tidwall/sjson"
)

// TestTenantPageHeldEvents: a tenant created after its organization's events
// arrived says so on its page, and "Deliver them" attaches and queues them
// and comes back to the tenant, on the real server and both databases.
func TestTenantPageHeldEvents(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			recv := newReceiver(t, nil)
			base, pc := adminSignedIn(t, target.URL)
			body, _ := webhooks.Sample("interview.evaluation")
			if status, ans := post(t, base, body, hmacHex(body)); status != http.StatusOK {
				t.Fatalf("post: %d %v", status, ans)
			}
			tenantID := strings.TrimSpace(runCLI(t, "tenants", "create", "--database-url", target.URL, "--secret-key", testKey, "--allow-private-endpoints",
				"--name", "Late Co", "--source-id", "org_7234567890", "--endpoint", recv.URL+"/late"))
			tenantPath := "/admin/tenants/" + tenantID
			st, page, _ := pc.do(http.MethodGet, tenantPath, nil)
			wantPage(t, "tenant page with a held event", st, page, 200,
				[]string{`data-testid="tenant-unrouted"`, "1 event with this sourceId arrived before the tenant existed and is held", `data-testid="tenant-deliver-held"`}, nil)
			st, _, loc := pc.post("/admin/unrouted/"+tenantID+"/deliver?back=tenant", url.Values{})
			if st != http.StatusSeeOther || loc != tenantPath+"?done=held-delivered" {
				t.Fatalf("deliver from the tenant page: %d → %q", st, loc)
			}
			waitFor(t, "the held event delivered", func() bool { return len(recv.bodies("/late")) == 1 })
			st, page, _ = pc.do(http.MethodGet, tenantPath+"?done=held-delivered", nil)
			wantPage(t, "tenant page after delivering", st, page, 200, []string{"queued for delivery"}, []string{`data-testid="tenant-unrouted"`})

			// Paused, its new events' deliveries are held: the page says how
			// many. The server's routing cache learns of the pause within its
			// poll, so events are sent until one is held (each is delivered
			// or held, never lost).
			runCLI(t, "tenants", "pause", "--database-url", target.URL, "--tenant", tenantID)
			db := testdb.Open(t, target.URL)
			sent := 0
			waitFor(t, "an event held for the paused tenant", func() bool {
				sent++
				body, _ := sjson.SetBytes(body, "data.meetingCode", fmt.Sprintf("Boooply-held-%d", sent))
				if status, ans := post(t, base, body, hmacHex(body)); status != http.StatusOK {
					t.Fatalf("post while paused: %d %v", status, ans)
				}
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'held'") > 0
			})
			// Events sent before the server saw the pause may be held too (the
			// worker holds a queued delivery of a paused tenant): the page
			// counts what the database holds.
			waitFor(t, "every delivery settled or held", func() bool {
				return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'") == 0
			})
			held := "1 delivery is held"
			if n := countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'held'"); n > 1 {
				held = fmt.Sprintf("%d deliveries are held", n)
			}
			st, page, _ = pc.do(http.MethodGet, tenantPath, nil)
			wantPage(t, "paused tenant page", st, page, 200, []string{`data-testid="tenant-held-deliveries"`, held + " while the tenant is paused"}, nil)
		})
	}
}
