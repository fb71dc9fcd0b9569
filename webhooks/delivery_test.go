package webhooks

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// deliveryCases are real loopback receivers and what must become of one
// delivery to each (schedule: 3 retries of 20 ms, so 4 attempts at most).
var deliveryCases = []struct {
	name         string
	answer       func(n int, w http.ResponseWriter, r *http.Request)
	edit         func(*tenants.Endpoint)
	wantStatus   DeliveryStatus
	wantAttempts int
	wantClass    string // error class of the first attempt
	wantDisabled string // the endpoint's disabled_reason must contain this
}{
	{name: "flaky: 500 twice then 204", answer: failFirst(2, 500), wantStatus: DeliveryDelivered, wantAttempts: 3, wantClass: "http-status"},
	{name: "slow but within the timeout", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(30 * time.Millisecond)
		w.WriteHeader(200)
	}, wantStatus: DeliveryDelivered, wantAttempts: 1},
	{name: "hanging past the endpoint timeout", answer: func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		edit: func(e *tenants.Endpoint) { e.TimeoutMS = 50 }, wantStatus: DeliveryFailed, wantAttempts: 4, wantClass: "timeout"},
	{name: "410 gone disables the endpoint", answer: failFirst(9, 410), wantStatus: DeliveryFailed, wantAttempts: 1,
		wantClass: "http-status", wantDisabled: "410"},
	{name: "PUT endpoint is called with PUT", answer: func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(204)
	}, edit: func(e *tenants.Endpoint) { e.Method = http.MethodPut }, wantStatus: DeliveryDelivered, wantAttempts: 1},
	{name: "default method is POST", answer: func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		w.WriteHeader(204)
	}, wantStatus: DeliveryDelivered, wantAttempts: 1},
	{name: "400 fails at once", answer: failFirst(9, 400), wantStatus: DeliveryFailed, wantAttempts: 1, wantClass: "http-status"},
	{name: "400 retried when the endpoint asks", answer: failFirst(9, 400), edit: func(e *tenants.Endpoint) { e.RetryClientErrors = true },
		wantStatus: DeliveryFailed, wantAttempts: 4},
	{name: "max attempts override", answer: failFirst(9, 503), edit: func(e *tenants.Endpoint) { e.MaxAttempts = 2 },
		wantStatus: DeliveryFailed, wantAttempts: 2},
	{name: "max age already passed: one try", answer: failFirst(9, 500), edit: func(e *tenants.Endpoint) { e.MaxAgeSeconds = 1; e.MaxAttempts = 50 },
		wantStatus: DeliveryFailed},
	{name: "429 with Retry-After honoured", answer: func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(204)
	}, wantStatus: DeliveryDelivered, wantAttempts: 2, wantClass: "http-status"},
	{name: "redirect to loopback is not followed", answer: func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
	}, wantStatus: DeliveryFailed, wantAttempts: 1, wantClass: "http-status"},
	{name: "auth secret that won't unseal fails at once", edit: func(e *tenants.Endpoint) { e.AuthType, e.AuthSecretSealed = tenants.AuthBearer, "v1.deadbeef.AAAA" },
		wantStatus: DeliveryFailed, wantAttempts: 1, wantClass: "config"},
	{name: "connection closed before the answer, then fine", answer: func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		w.WriteHeader(204)
	}, wantStatus: DeliveryDelivered, wantAttempts: 2, wantClass: "connection"},
	{name: "2xx status then the connection drops mid-body: delivered", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
		_ = buf.Flush()
		conn.Close()
	}, wantStatus: DeliveryDelivered, wantAttempts: 1},
}

func failFirst(n, status int) func(int, http.ResponseWriter, *http.Request) {
	return func(i int, w http.ResponseWriter, _ *http.Request) {
		if i <= n {
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(204)
	}
}

func TestDeliveryOutcomes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		for i, tc := range deliveryCases {
			t.Run(tc.name, func(t *testing.T) {
				h := newHook(t, tc.answer)
				src := "org_case_" + string(rune('a'+i))
				_, ep := createTenant(t, db, src, h.URL+"/hook", tc.edit)
				evID := e.ingest(t, src, "m-"+src)
				if tc.name == "max age already passed: one try" {
					db.Gorm.Exec("UPDATE events SET received_at = ? WHERE id = ?", time.Now().Add(-time.Hour).UTC(), evID)
				}
				var d Delivery
				waitUntil(t, "the delivery to settle", func() bool { d = deliveryOf(t, db, evID); return d.Status != DeliveryPending })
				atts := attemptsOf(t, db, d.ID)
				if d.Status != tc.wantStatus || (tc.wantAttempts > 0 && len(atts) != tc.wantAttempts) {
					t.Fatalf("got %s after %d attempts, want %s after %d", d.Status, len(atts), tc.wantStatus, tc.wantAttempts)
				}
				if tc.wantClass != "" && atts[0].ErrorClass != tc.wantClass {
					t.Errorf("first attempt class %q (%s), want %q", atts[0].ErrorClass, atts[0].Error, tc.wantClass)
				}
				var health EndpointHealth
				db.Gorm.First(&health, ep.ID)
				if tc.wantDisabled != "" && (health.Enabled || !strings.Contains(health.DisabledReason, tc.wantDisabled)) {
					t.Errorf("endpoint enabled=%v reason %q, want disabled mentioning %q", health.Enabled, health.DisabledReason, tc.wantDisabled)
				}
				if tc.wantDisabled == "" && !health.Enabled {
					t.Errorf("endpoint was disabled (%s)", health.DisabledReason)
				}
			})
		}
	})
}

// TestGuardRefusesLoopback: with the SSRF guard on, a loopback endpoint is
// refused when dialed, recorded as ssrf-blocked and not retried.
func TestGuardRefusesLoopback(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{guard: &egress.Guard{}})
		h := newHook(t, nil)
		createTenant(t, db, "org_guard", h.URL+"/hook", nil)
		evID := e.ingest(t, "org_guard", "m-guard")
		var d Delivery
		waitUntil(t, "the delivery to settle", func() bool { d = deliveryOf(t, db, evID); return d.Status != DeliveryPending })
		atts := attemptsOf(t, db, d.ID)
		if d.Status != DeliveryFailed || len(atts) != 1 || atts[0].ErrorClass != "ssrf-blocked" || len(h.got()) != 0 {
			t.Fatalf("got %s, %d attempts (%+v), %d requests; want failed, 1 ssrf-blocked attempt, none sent", d.Status, len(atts), atts, len(h.got()))
		}
	})
}
