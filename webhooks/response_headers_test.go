package webhooks

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// headerPadding answers status with about n bytes of headers (4 KiB each).
func headerPadding(n, status int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := range n / 4096 {
			w.Header().Set(fmt.Sprintf("X-Pad-%d", i), strings.Repeat("a", 4096-20))
		}
		w.WriteHeader(status)
	}
}

// TestHugeResponseHeaders: an endpoint answering with 1 MiB of headers
// (even with a 200) is not read past egress.MaxResponseHeaderBytes; each
// attempt is recorded with its class and a plain error, retried like a
// broken connection and counted against the endpoint's health, until the
// delivery fails. Over HTTP/2 Go closes such a connection (class
// connection). Headers well under the limit are delivered.
func TestHugeResponseHeaders(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		cases := []struct {
			name      string
			http2     bool
			answer    http.HandlerFunc
			wantState DeliveryStatus
			wantClass string
			wantError string
		}{
			{name: "HTTP/1.1, 1 MiB of headers with a 200", answer: headerPadding(1<<20, 200), wantState: DeliveryFailed,
				wantClass: "headers-too-large", wantError: "endpoint answered with more than 64 KiB of headers; its answer was not read: "},
			{name: "HTTP/1.1, 1 MiB of headers with a 500", answer: headerPadding(1<<20, 500), wantState: DeliveryFailed,
				wantClass: "headers-too-large", wantError: "server response headers exceeded 65536 bytes"},
			{name: "HTTP/1.1, 32 KiB of headers", answer: headerPadding(32<<10, 204), wantState: DeliveryDelivered},
			{name: "HTTP/2, 1 MiB of headers", http2: true, answer: headerPadding(1<<20, 200), wantState: DeliveryFailed,
				wantClass: "connection", wantError: "PROTOCOL_ERROR"},
			{name: "HTTP/2, 32 KiB of headers", http2: true, answer: headerPadding(32<<10, 204), wantState: DeliveryDelivered},
		}
		roots := x509.NewCertPool()
		servers := make([]*httptest.Server, len(cases))
		for i, tc := range cases {
			servers[i] = httptest.NewUnstartedServer(tc.answer)
			if tc.http2 {
				servers[i].EnableHTTP2 = true
				servers[i].StartTLS()
				roots.AddCert(servers[i].Certificate())
			} else {
				servers[i].Start()
			}
			t.Cleanup(servers[i].Close)
		}
		e := startEngine(t, db, engineOpts{roots: roots})
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				src := fmt.Sprintf("org_headers_%d", i)
				_, ep := createTenant(t, db, src, servers[i].URL+"/hook", nil)
				evID := e.ingest(t, src, "m-"+src)
				var d Delivery
				waitUntil(t, "the delivery to settle", func() bool { d = deliveryOf(t, db, evID); return d.Status != DeliveryPending })
				atts := attemptsOf(t, db, d.ID)
				if d.Status != tc.wantState {
					t.Fatalf("delivery %s after %d attempts (%+v), want %s", d.Status, len(atts), atts, tc.wantState)
				}
				if tc.wantState == DeliveryDelivered {
					return
				}
				if len(atts) != 4 {
					t.Fatalf("%d attempts, want 4 (retried like a broken connection)", len(atts))
				}
				for _, a := range atts {
					if a.StatusCode != nil || a.ErrorClass != tc.wantClass || !strings.Contains(a.Error, tc.wantError) {
						t.Fatalf("attempt %d: status %v, class %q, error %q; want no status, %q, mentioning %q",
							a.Number, a.StatusCode, a.ErrorClass, a.Error, tc.wantClass, tc.wantError)
					}
				}
				var h EndpointHealth
				db.Gorm.First(&h, ep.ID)
				if h.ConsecutiveFailures != 4 {
					t.Errorf("endpoint's consecutive failures %d, want 4 (the endpoint's fault)", h.ConsecutiveFailures)
				}
			})
		}
	})
}
