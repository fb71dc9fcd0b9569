package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/views"
)

const hostileName = `<script>alert("xss")</script><img src=x onerror=alert(1)>`

// testPages mounts the pages with a principal chosen per request by the
// X-Role and X-Scope headers (none: unauthenticated).
func testPages(e *engine) *fiber.App { return testPagesWith(e, nil) }

// testPagesWith is testPages with configure (may be nil) applied to the
// pages first, e.g. to fix their clock.
func testPagesWith(e *engine, configure func(*Pages)) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		if p, ok := problem.As(err); ok {
			return c.Status(problem.Status(p.Code)).JSON(p)
		}
		return c.Status(500).JSON(fiber.Map{"code": "internal", "message": err.Error()})
	}})
	audit := auth.NewStore(e.db.Gorm)
	admin := app.Group("/admin", func(c *fiber.Ctx) error {
		auth.SetAuditor(c, audit)
		if role := c.Get("X-Role"); role != "" {
			p := &auth.Principal{Email: role + "@test", Role: auth.Role(role)}
			if s := c.Get("X-Scope"); s != "" {
				id, _ := strconv.ParseInt(s, 10, 64)
				p.TenantIDs = []int64{id}
			}
			auth.SetPrincipal(c, p)
		}
		return c.Next()
	})
	meta := func(c *fiber.Ctx, title, active string) views.Meta {
		return views.Meta{Title: title, Active: active, CSRF: "csrf-test-token"}
	}
	pages := NewPages(NewStore(e.db.Gorm), e.svc, meta)
	if configure != nil {
		configure(pages)
	}
	PageRoutes(admin, pages)
	return app
}

// ingestHostile stores an evaluation whose candidate name and summary are markup.
func ingestHostile(t *testing.T, e *engine, sourceID, code string) int64 {
	t.Helper()
	body := `{"event":"interview.evaluation","data":{"meetingCode":"` + code + `","sourceId":"` + sourceID +
		`","candidateName":"` + strings.ReplaceAll(hostileName, `"`, `\"`) + `","summary":"</pre><script>alert(2)</script>"}}`
	res, err := e.svc.Ingest(context.Background(), mustParse(t, body))
	if err != nil || res.Status != Accepted {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	return res.EventID
}

// TestPages renders each support page for each role: status, key content,
// scope, retry controls, escaped hostile strings and the security headers.
func TestPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		// Every delivery fails: a breaker would hold the later ones pending.
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{5 * time.Millisecond}, breaker: BreakerConfig{Threshold: 1000}})
		down := newHook(t, failFirst(1000, 500))
		ta, _ := createTenant(t, db, "org_pg_a", down.URL, nil)
		tb, _ := createTenant(t, db, "org_pg_b", down.URL, nil)
		evA, evB := ingestHostile(t, e, "org_pg_a", "m-pg-a"), e.ingest(t, "org_pg_b", "m-pg-b")
		// Left failed for the retries from the list below.
		evC, evD := e.ingest(t, "org_pg_a", "m-pg-c"), e.ingest(t, "org_pg_a", "m-pg-d")
		waitUntil(t, "failures", func() bool {
			return count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 4
		})
		dA, dB := deliveryOf(t, db, evA), deliveryOf(t, db, evB)
		dup := `{"event":"interview.evaluation","data":{"meetingCode":"m-pg-b","sourceId":"org_pg_b","summary":"s"}}`
		if res, err := e.svc.Ingest(context.Background(), mustParse(t, dup)); err != nil || res.Status != Duplicate {
			t.Fatalf("redelivery: %+v %v", res, err) // counted as a duplicate, not stored again
		}
		revised := `{"event":"interview.evaluation","data":{"meetingCode":"m-pg-a","sourceId":"org_pg_a","candidateName":"Rev Two","summary":"re-run"}}`
		if res, err := e.svc.Ingest(context.Background(), mustParse(t, revised)); err != nil || res.Revision != 2 {
			t.Fatalf("revision: %+v %v", res, err)
		}
		app := testPages(e)
		a, b := strconv.FormatInt(ta.ID, 10), strconv.FormatInt(tb.ID, 10)
		detA, detB := fmt.Sprintf("/admin/deliveries/%d", dA.ID), fmt.Sprintf("/admin/deliveries/%d", dB.ID)
		evPageA := fmt.Sprintf("/admin/events/%d", evA)
		evPageU := fmt.Sprintf("/admin/events/%d", e.ingest(t, "org_pg_nobody", "m-pg-unrouted"))
		cases := []struct {
			name, role, scope, method, path string
			wantStatus                      int
			want, notWant                   []string
		}{
			{"dashboard needs a principal", "", "", "GET", "/admin", 401, nil, nil},
			{"dashboard for admin", "admin", "", "GET", "/admin", 200, []string{`data-testid="stat-failed"`, "<svg", "Deliveries, Last 24 hours (UTC)", "T org_pg_a", "interview.evaluation"}, nil},
			{"dashboard 7 days for viewer", "viewer", "", "GET", "/admin?window=7d", 200, []string{"Last 7 days", "Endpoints in trouble"}, nil},
			{"dashboard scoped", "support", b, "GET", "/admin", 200, []string{"T org_pg_b"}, []string{"T org_pg_a"}},
			{"deliveries for admin with retry", "admin", "", "GET", "/admin/deliveries", 200, []string{"m-pg-a", "m-pg-b", `data-testid="delivery-retry"`, `aria-label="Retry delivery #`}, []string{"<script>alert"}},
			{"deliveries for viewer without retry", "viewer", "", "GET", "/admin/deliveries", 200, []string{"m-pg-a"}, []string{`data-testid="delivery-retry"`}},
			{"deliveries scoped", "support", b, "GET", "/admin/deliveries", 200, []string{"m-pg-b"}, []string{"m-pg-a"}},
			{"deliveries by meeting code", "viewer", "", "GET", "/admin/deliveries?meeting_code=m-pg-b", 200, []string{"m-pg-b"}, []string{"m-pg-a"}},
			{"deliveries by candidate name", "viewer", "", "GET", "/admin/deliveries?candidate=SCRIPT", 200, []string{"m-pg-a", "&lt;script&gt;"}, []string{"m-pg-b"}},
			{"deliveries by status and tenant", "viewer", "", "GET", "/admin/deliveries?status=failed&tenant=" + b, 200, []string{"m-pg-b"}, []string{"m-pg-a"}},
			{"deliveries held status is a filter", "viewer", "", "GET", "/admin/deliveries?status=held", 200, []string{`<option value="held" selected`, "No deliveries match"}, []string{"Status was ignored", "m-pg-a"}},
			{"deliveries bad filter is ignored with a message", "viewer", "", "GET", "/admin/deliveries?from=yesterday&status=lost", 200, []string{"From was ignored", "Status was ignored", "m-pg-a"}, nil},
			{"deliveries time range excludes", "viewer", "", "GET", "/admin/deliveries?to=2000-01-01T00:00", 200, []string{"No deliveries match"}, []string{"m-pg-a"}},
			{"detail for admin", "admin", "", "GET", detA, 200, []string{"Attempt 1", "HTTP 500", `data-testid="delivery-retry"`, `data-testid="delivery-replay"`, "&lt;/pre&gt;&lt;script&gt;", `data-testid="gave-up"`, "All 2 attempts", `data-testid="attempt-class">http-status<`}, []string{"<script>alert"}},
			{"detail for viewer", "viewer", "", "GET", detA, 200, []string{"Attempt 1", "m-pg-a", `data-testid="delivery-event"`, `href="` + evPageA + `"`, `/endpoints/`}, []string{`data-testid="delivery-retry"`, `data-testid="delivery-replay"`}},
			{"detail outside scope", "viewer", b, "GET", detA, 404, nil, []string{"m-pg-a"}},
			{"detail bad id", "admin", "", "GET", "/admin/deliveries/x", 404, nil, nil},
			{"viewer retry refused", "viewer", "", "POST", detA + "/retry", 403, nil, nil},
			{"viewer replay refused", "viewer", "", "POST", detA + "/replay", 403, nil, nil},
			{"support retry outside scope", "support", a, "POST", detB + "/retry", 404, nil, nil},
			{"events for viewer", "viewer", "", "GET", "/admin/events", 200, []string{"m-pg-a", "m-pg-b", "&lt;script&gt;"}, []string{"<script>alert"}},
			{"events scoped", "viewer", a, "GET", "/admin/events", 200, []string{"m-pg-a"}, []string{"m-pg-b"}},
			{"events unrouted kind", "admin", "", "GET", "/admin/events?kind=unrouted", 200, []string{"m-pg-unrouted"}, []string{"m-pg-a"}},
			{"events flag later revisions and duplicates", "viewer", "", "GET", "/admin/events", 200, []string{"1 later revision(s)", "1 duplicate(s)", "Rev Two"}, nil},
			{"events duplicates kind", "viewer", "", "GET", "/admin/events?kind=duplicates", 200, []string{"m-pg-b"}, []string{"m-pg-a"}},
			{"events revisions kind", "viewer", "", "GET", "/admin/events?kind=revisions", 200, []string{"Rev Two"}, []string{"m-pg-b"}},
			{"events by source", "viewer", "", "GET", "/admin/events?source_id=org_pg_b", 200, []string{"m-pg-b"}, []string{"m-pg-a"}},
			{"events link to their page", "viewer", "", "GET", "/admin/events", 200, []string{`href="` + evPageA + `"`}, nil},
			{"events by candidate name", "viewer", "", "GET", "/admin/events?candidate=rev+two", 200, []string{"m-pg-a", `value="rev two"`}, []string{"m-pg-b"}},
			{"events by candidate, no match", "viewer", "", "GET", "/admin/events?candidate=nobody+like+this", 200, []string{"No events match", "Clear a filter"}, []string{"m-pg-a", "m-pg-b"}},
			{"events unrouted kind scoped says why it is empty", "support", a, "GET", "/admin/events?kind=unrouted", 200, []string{"only the unrouted events held for your tenants"}, []string{"m-pg-unrouted"}},
			{"deliveries of an unrouted interview point to events", "viewer", "", "GET", "/admin/deliveries?meeting_code=m-pg-unrouted", 200,
				[]string{"No deliveries match", `href="/admin/events?meeting_code=m-pg-unrouted"`, "went to no endpoint"}, nil},
			{"event page", "viewer", "", "GET", evPageA, 200, []string{"m-pg-a", "org_pg_a", "&lt;script&gt;", `data-testid="event-raw"`, "/admin/deliveries?event=interview.evaluation"}, []string{"<script>alert", "event-unrouted"}},
			{"event page in scope", "viewer", a, "GET", evPageA, 200, []string{"m-pg-a"}, nil},
			{"event page outside scope", "viewer", b, "GET", evPageA, 404, nil, []string{"m-pg-a"}},
			{"unrouted event page", "support", "", "GET", evPageU, 200, []string{"m-pg-unrouted", `data-testid="event-unrouted"`, "/admin/unrouted"}, nil},
			{"unrouted event page for a scoped user", "support", a, "GET", evPageU, 404, nil, []string{"m-pg-unrouted"}},
			{"event page of a bad id", "viewer", "", "GET", "/admin/events/x", 404, nil, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				status, body, hdr := doPage(t, app, tc.method, tc.path, tc.role, tc.scope)
				if status != tc.wantStatus {
					t.Fatalf("status %d, want %d: %.400s", status, tc.wantStatus, body)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, w := range tc.notWant {
					if strings.Contains(body, w) {
						t.Errorf("page contains %q", w)
					}
				}
				if status == 200 && !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") {
					t.Errorf("no CSP header: %v", hdr)
				}
			})
		}
		status, _, hdr := doPage(t, app, "POST", detB+"/retry", "support", "")
		if status != 303 || !strings.HasSuffix(hdr.Get("Location"), "?notice=retried") {
			t.Fatalf("support retry: %d %v", status, hdr)
		}
		if d := deliveryOf(t, db, evB); d.Status == DeliveryFailed && d.Attempts == dB.Attempts {
			t.Errorf("retry did not restart delivery %d", d.ID)
		}
		var audited int64
		db.Gorm.Raw("SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.retry' AND actor = 'support@test'").Scan(&audited)
		if audited != 1 {
			t.Errorf("retry from the page: %d audit rows, want 1", audited)
		}
		status, _, hdr = doPage(t, app, "POST", detA+"/replay", "admin", "")
		if status != 303 || !strings.HasSuffix(hdr.Get("Location"), detA+"?notice=replayed") {
			t.Fatalf("admin replay: %d %v", status, hdr)
		}
		status, body, _ := doPage(t, app, "GET", detA+"?notice=replayed", "admin", "")
		if status != 200 || !strings.Contains(body, "Replay queued") {
			t.Errorf("detail after replay: %d, no notice", status)
		}

		// A retry from a filtered list returns to that list; a "back" that
		// leaves the deliveries pages is ignored (no open redirect).
		detC := fmt.Sprintf("/admin/deliveries/%d", deliveryOf(t, db, evC).ID)
		list := "/admin/deliveries?status=failed"
		if _, body, _ := doPage(t, app, "GET", list, "admin", ""); !strings.Contains(body, detC+"/retry?back="+url.QueryEscape(list)) {
			t.Fatalf("the list's retry does not carry the list's address")
		}
		status, _, hdr = doPage(t, app, "POST", detC+"/retry?back="+url.QueryEscape(list), "admin", "")
		if status != 303 || hdr.Get("Location") != list+"&done=delivery-retried" {
			t.Fatalf("retry from the list: %d %q, want back to %s", status, hdr.Get("Location"), list)
		}
		detD := fmt.Sprintf("/admin/deliveries/%d", deliveryOf(t, db, evD).ID)
		status, _, hdr = doPage(t, app, "POST", detD+"/retry?back="+url.QueryEscape("//evil.example/admin/deliveries"), "admin", "")
		if status != 303 || hdr.Get("Location") != detD+"?notice=retried" {
			t.Fatalf("retry with a foreign back: %d %q, want the delivery page", status, hdr.Get("Location"))
		}
	})
}

func doPage(t *testing.T, app *fiber.App, method, path, role, scope string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if role != "" {
		req.Header.Set("X-Role", role)
	}
	if scope != "" {
		req.Header.Set("X-Scope", scope)
	}
	resp, err := app.Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// TestFormatDurations: support pages show sub-millisecond times as "<1 ms",
// not "0 ms", and a missing figure as nothing.
func TestFormatDurations(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		ok   bool
		want string
	}{
		{0, true, "<1 ms"},
		{800 * time.Microsecond, true, "<1 ms"},
		{12 * time.Millisecond, true, "12 ms"},
		{2040 * time.Millisecond, true, "2.0 s"},
		{time.Second, false, ""},
	} {
		if got := formatLatency(tc.d, tc.ok); got != tc.want {
			t.Errorf("formatLatency(%v, %v) = %q, want %q", tc.d, tc.ok, got, tc.want)
		}
	}
	if got := attemptProps(Attempt{DurationMS: 0}).Duration; got != "<1 ms" {
		t.Errorf("an attempt of 0 ms shows %q, want <1 ms", got)
	}
	if got := attemptProps(Attempt{DurationMS: 230}).Duration; got != "230 ms" {
		t.Errorf("an attempt of 230 ms shows %q", got)
	}
}

// TestDetailMappingState: the delivery page says what was mapped and sent,
// and does not call a delivery whose mapping step failed "passthrough".
func TestDetailMappingState(t *testing.T) {
	ev := &Event{Body: []byte(`{"event":"interview.evaluation"}`)}
	v2 := 2
	for _, tc := range []struct {
		name          string
		status        DeliveryStatus
		attempts      []Attempt
		mapped        []byte
		version       *int
		wantVersion   string
		wantPayloadIn string
	}{
		{"mapped", DeliveryDelivered, []Attempt{{ErrorClass: ""}}, []byte(`{"score":4}`), &v2, "v2", `"score": 4`},
		{"passthrough", DeliveryDelivered, []Attempt{{ErrorClass: ""}}, nil, nil, "passthrough (no mapping)", `"event": "interview.evaluation"`},
		{"mapping failed", DeliveryFailed, []Attempt{{ErrorClass: "mapping"}}, nil, nil, "not applied: the mapping step failed", "nothing was sent"},
		{"waiting for a correlation", DeliveryPending, []Attempt{{ErrorClass: "correlation-missing"}}, nil, nil, "not applied", "nothing was sent"},
		{"not tried yet", DeliveryPending, nil, nil, nil, "applied when the first attempt starts", "nothing sent yet"},
		{"sent after a mapping failure was fixed", DeliveryDelivered, []Attempt{{ErrorClass: "mapping"}, {ErrorClass: ""}}, nil, nil, "passthrough", `"event"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &DeliveryDetail{DeliveryRow: DeliveryRow{Delivery: Delivery{ID: 1, Status: tc.status}}, Attempts: tc.attempts}
			p := detailProps(d, ev, tc.mapped, tc.version, "Acme", false)
			if !strings.Contains(p.MappingVersion, tc.wantVersion) || !strings.Contains(p.MappedPayload, tc.wantPayloadIn) {
				t.Fatalf("mapping %q, payload %q; want %q and %q", p.MappingVersion, p.MappedPayload, tc.wantVersion, tc.wantPayloadIn)
			}
		})
	}
}

// TestGaveUpReason: a failed delivery's page says why no more attempts come,
// as the worker decided it.
func TestGaveUpReason(t *testing.T) {
	code := func(c int) *int { return &c }
	failed := func(attempts, roundStart int, last Attempt) *DeliveryDetail {
		d := &DeliveryDetail{DeliveryRow: DeliveryRow{Delivery: Delivery{Status: DeliveryFailed, Attempts: attempts, RoundStartAttempts: roundStart}}}
		for range attempts - 1 {
			d.Attempts = append(d.Attempts, Attempt{StatusCode: code(500)})
		}
		d.Attempts = append(d.Attempts, last)
		return d
	}
	for _, tc := range []struct {
		name string
		d    *DeliveryDetail
		lim  endpointLimits
		want string
	}{
		{"attempts used", failed(6, 0, Attempt{StatusCode: code(503)}), endpointLimits{Enabled: true}, "All 6 attempts"},
		{"the endpoint's own limit", failed(3, 0, Attempt{ErrorClass: "timeout"}), endpointLimits{MaxAttempts: 3, Enabled: true}, "All 3 attempts"},
		{"a manual retry's round", failed(5, 2, Attempt{StatusCode: code(500)}), endpointLimits{MaxAttempts: 3, Enabled: true}, "All 3 attempts"},
		{"4xx not retried", failed(1, 0, Attempt{StatusCode: code(422)}), endpointLimits{Enabled: true}, `HTTP 422 is not retried`},
		{"a redirect is never retried", failed(1, 0, Attempt{StatusCode: code(302)}), endpointLimits{RetryClientErrors: true, Enabled: true}, "redirects are never followed nor retried"},
		{"410 gone", failed(1, 0, Attempt{StatusCode: code(410)}), endpointLimits{Enabled: true}, "410 Gone"},
		{"mapping error", failed(1, 0, Attempt{ErrorClass: "mapping"}), endpointLimits{Enabled: true}, "configuration changes"},
		{"max age", failed(2, 0, Attempt{StatusCode: code(500)}), endpointLimits{MaxAgeSeconds: 3600, Enabled: true}, "max age (1h0m0s)"},
		{"no attempt at all", &DeliveryDetail{DeliveryRow: DeliveryRow{Delivery: Delivery{Status: DeliveryFailed}}}, endpointLimits{Enabled: true}, ""},
		// A retry of a delivery to a disabled endpoint fails at once: say so, and why it is off.
		{"endpoint disabled after 410", failed(1, 0, Attempt{StatusCode: code(410)}), endpointLimits{DisabledReason: "the endpoint answered 410 Gone"},
			"The endpoint is disabled (the endpoint answered 410 Gone): every attempt fails until an admin enables it"},
		{"retried while disabled", failed(2, 1, Attempt{ErrorClass: "endpoint-disabled"}), endpointLimits{}, "The endpoint is disabled: every attempt fails"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := gaveUpReason(tc.d, tc.lim, 6)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("gaveUpReason = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNextAttemptShown: a failed attempt that will be retried records when
// the retry is due, and the delivery page says so; a delivered one has none.
func TestNextAttemptShown(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{time.Hour}})
		hook := newHook(t, failFirst(1, 500))
		createTenant(t, db, "org_next", hook.URL, nil)
		ev := e.ingest(t, "org_next", "m-next")
		waitUntil(t, "the first attempt", func() bool { return deliveryOf(t, db, ev).Attempts == 1 })
		d := deliveryOf(t, db, ev)
		if d.Status != DeliveryPending || d.NextAttemptAt == nil || time.Until(*d.NextAttemptAt) < 50*time.Minute {
			t.Fatalf("after a failed attempt: status %s, next attempt %v, want pending and about an hour ahead", d.Status, d.NextAttemptAt)
		}
		status, body, _ := doPage(t, testPages(e), "GET", fmt.Sprintf("/admin/deliveries/%d", d.ID), "viewer", "")
		if status != 200 || !strings.Contains(body, "due "+formatTime(*d.NextAttemptAt)) {
			t.Fatalf("delivery page: %d, no due time", status)
		}
		if err := db.Gorm.Exec("UPDATE deliveries SET status = 'failed' WHERE id = ?", d.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RetryDelivery(context.Background(), nil, d.ID); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the retried delivery to go through", func() bool { return deliveryOf(t, db, ev).Status == DeliveryDelivered })
		if d := deliveryOf(t, db, ev); d.NextAttemptAt != nil {
			t.Errorf("delivered, yet a next attempt at %v", d.NextAttemptAt)
		}
	})
}

// TestPagesBulkRetry: the deliveries list offers support a retry of every
// failed delivery its filters select, once a tenant or endpoint is chosen;
// it restarts exactly those, is audited, and returns to the list.
func TestPagesBulkRetry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{5 * time.Millisecond}, breaker: BreakerConfig{Threshold: 1000}})
		down := newHook(t, failFirst(1000, 500))
		ta, _ := createTenant(t, db, "org_bulk_a", down.URL, nil)
		tb, _ := createTenant(t, db, "org_bulk_b", down.URL, nil)
		evs := []int64{e.ingest(t, "org_bulk_a", "m-bulk-1"), e.ingest(t, "org_bulk_a", "m-bulk-2"), e.ingest(t, "org_bulk_b", "m-bulk-3")}
		waitUntil(t, "three failures", func() bool {
			return count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 3
		})
		app := testPages(e)
		a, b := strconv.FormatInt(ta.ID, 10), strconv.FormatInt(tb.ID, 10)
		list := "/admin/deliveries?status=failed&tenant=" + a
		for _, tc := range []struct {
			name, role, scope, path string
			offered                 bool
		}{
			{"support, a tenant chosen", "support", "", list, true},
			{"support, no tenant chosen", "support", "", "/admin/deliveries?status=failed", false},
			{"support, delivered ones", "support", "", "/admin/deliveries?status=delivered&tenant=" + a, false},
			{"viewer", "viewer", "", list, false},
		} {
			status, body, _ := doPage(t, app, "GET", tc.path, tc.role, tc.scope)
			if status != 200 || strings.Contains(body, `data-testid="bulk-retry"`) != tc.offered {
				t.Errorf("%s: %d, bulk retry offered = %v, want %v", tc.name, status, !tc.offered, tc.offered)
			}
		}
		for _, tc := range []struct {
			name, role, scope, path string
			want                    int
		}{
			{"viewer refused", "viewer", "", "/admin/deliveries/bulk-retry?tenant=" + a, 403},
			{"no tenant or endpoint", "support", "", "/admin/deliveries/bulk-retry?status=failed", 422},
			{"a tenant outside scope", "support", a, "/admin/deliveries/bulk-retry?tenant=" + b, 404},
		} {
			if status, _, _ := doPage(t, app, "POST", tc.path, tc.role, tc.scope); status != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, status, tc.want)
			}
		}
		status, _, hdr := doPage(t, app, "POST", "/admin/deliveries/bulk-retry?status=failed&tenant="+a, "support", "")
		if loc := hdr.Get("Location"); status != 303 || !strings.Contains(loc, "done=bulk-retried") || !strings.Contains(loc, "status=pending") || !strings.Contains(loc, "tenant="+a) {
			t.Fatalf("bulk retry: %d %q", status, loc)
		}
		for i, ev := range evs {
			restarted := deliveryOf(t, db, ev).RoundStartedAt != nil
			if want := i < 2; restarted != want {
				t.Errorf("delivery of event %d restarted = %v, want %v (only tenant A's)", i+1, restarted, want)
			}
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.bulk_retry'"); n != 1 {
			t.Errorf("audit rows = %d, want 1", n)
		}
	})
}

// TestNextAttemptHeldByBreaker: while an endpoint's circuit is open, a
// pending delivery's page says it waits for the breaker, not the retry time
// its last failure set (which has passed: the worker snoozed the job).
func TestNextAttemptHeldByBreaker(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{5 * time.Millisecond, 5 * time.Millisecond},
			breaker: BreakerConfig{Threshold: 1, Cooldown: time.Hour}})
		hook := newHook(t, failFirst(1000, 500))
		_, ep := createTenant(t, db, "org_breaker_page", hook.URL, nil)
		ev := e.ingest(t, "org_breaker_page", "m-breaker")
		waitUntil(t, "the first attempt", func() bool { return deliveryOf(t, db, ev).Attempts == 1 })
		var h EndpointHealth
		if err := db.Gorm.Where("id = ?", ep.ID).Take(&h).Error; err != nil || h.CircuitOpenUntil == nil {
			t.Fatalf("endpoint health %+v (%v): want an open circuit", h, err)
		}
		d := deliveryOf(t, db, ev)
		if d.Status != DeliveryPending || d.NextAttemptAt == nil || !d.NextAttemptAt.Before(*h.CircuitOpenUntil) {
			t.Fatalf("delivery %s due %v, circuit open until %v: want pending, due before the circuit closes", d.Status, d.NextAttemptAt, h.CircuitOpenUntil)
		}
		status, body, _ := doPage(t, testPages(e), "GET", fmt.Sprintf("/admin/deliveries/%d", d.ID), "viewer", "")
		if status != 200 || !strings.Contains(body, "not before "+formatTime(*h.CircuitOpenUntil)) || !strings.Contains(body, "circuit breaker") {
			t.Fatalf("delivery page: %d, want the breaker's time %s", status, formatTime(*h.CircuitOpenUntil))
		}
		if strings.Contains(body, "due "+formatTime(*d.NextAttemptAt)) {
			t.Errorf("delivery page still shows the passed retry time %s", formatTime(*d.NextAttemptAt))
		}
	})
}

// TestPagesUnseenFilters: a tenant or endpoint filter naming nothing the
// user can see (deleted, mistyped, another tenant's for a scoped user) is
// dropped with a message, like one that doesn't parse: kept, it emptied the
// list while the pickers showed "All tenants", and offered a bulk retry
// that could only fail. A bulk retry is offered only when something matches.
func TestPagesUnseenFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{stopped: true})
		ta, _ := createTenant(t, db, "org_unseen_a", "http://127.0.0.1:1/a", nil)
		tb, epB := createTenant(t, db, "org_unseen_b", "http://127.0.0.1:1/b", nil)
		e.ingest(t, "org_unseen_a", "m-unseen-a")
		e.ingest(t, "org_unseen_b", "m-unseen-b")
		app := testPages(e)
		a, b := strconv.FormatInt(ta.ID, 10), strconv.FormatInt(tb.ID, 10)
		for _, tc := range []struct {
			name, role, scope, path string
			want, notWant           []string
		}{
			{"another tenant, scoped to A", "support", a, "/admin/deliveries?tenant=" + b,
				[]string{"Tenant was ignored", "m-unseen-a"}, []string{"m-unseen-b", `data-testid="bulk-retry"`}},
			{"no such tenant", "support", "", "/admin/deliveries?tenant=987654",
				[]string{"Tenant was ignored", "m-unseen-a", "m-unseen-b"}, []string{`data-testid="bulk-retry"`}},
			{"B's endpoint with tenant A", "support", "", fmt.Sprintf("/admin/deliveries?tenant=%s&endpoint=%d", a, epB.ID),
				[]string{"Endpoint was ignored", "m-unseen-a", `action="/admin/deliveries/bulk-retry?tenant=` + a + `"`}, []string{"m-unseen-b"}},
			{"B's endpoint, scoped to A", "viewer", a, fmt.Sprintf("/admin/deliveries?endpoint=%d", epB.ID),
				[]string{"Endpoint was ignored", "m-unseen-a"}, []string{"m-unseen-b"}},
			{"own tenant kept", "support", a, "/admin/deliveries?tenant=" + a,
				[]string{"m-unseen-a", `data-testid="bulk-retry"`}, []string{"was ignored"}},
			{"nothing matches: no bulk retry", "support", "", "/admin/deliveries?meeting_code=nope&tenant=" + a,
				[]string{"No deliveries match"}, []string{`data-testid="bulk-retry"`, "was ignored"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body, _ := doPage(t, app, "GET", tc.path, tc.role, tc.scope)
				if status != 200 {
					t.Fatalf("status %d", status)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, w := range tc.notWant {
					if strings.Contains(body, w) {
						t.Errorf("page shows %q", w)
					}
				}
			})
		}
	})
}

// TestListPagerDropsConfirmation: the next-page link keeps the filters but
// not the confirmation of the action that led to the list (?done=, ?notice=),
// which page 2 would otherwise show again.
func TestListPagerDropsConfirmation(t *testing.T) {
	app := fiber.New()
	app.Get("/admin/deliveries", func(c *fiber.Ctx) error {
		return c.JSON(listPager(c, "/admin/deliveries", "delivery-table", 50, 7, 42))
	})
	resp, err := app.Test(httptest.NewRequest("GET", "/admin/deliveries?tenant=3&done=delivery-retried&notice=retried&after=7", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pg views.Pager
	if err := json.NewDecoder(resp.Body).Decode(&pg); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{pg.NextURL, pg.FirstURL} {
		if !strings.Contains(u, "tenant=3") || strings.Contains(u, "done=") || strings.Contains(u, "notice=") {
			t.Errorf("pager link %q: want the filter and no confirmation", u)
		}
	}
}

// TestDeliveriesCSV: the download holds what the filters select within the
// caller's scope, one row per delivery, webhook text that a spreadsheet
// would run as a formula defused; a filter that doesn't parse is refused
// (a file can't carry the page's "was ignored" message).
func TestDeliveriesCSV(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{stopped: true})
		ta, _ := createTenant(t, db, "org_csv_a", "http://127.0.0.1:1/a", nil)
		createTenant(t, db, "org_csv_b", "http://127.0.0.1:1/b", nil)
		formula := `{"event":"interview.evaluation","data":{"meetingCode":"m-csv-a","sourceId":"org_csv_a","candidateName":"=HYPERLINK(\"x\")"}}`
		if res, err := e.svc.Ingest(context.Background(), mustParse(t, formula)); err != nil || res.Status != Accepted {
			t.Fatalf("ingest: %+v %v", res, err)
		}
		e.ingest(t, "org_csv_b", "m-csv-b")
		app := testPages(e)
		a := strconv.FormatInt(ta.ID, 10)
		status, body, hdr := doPage(t, app, "GET", "/admin/deliveries.csv", "viewer", a)
		if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: %d %s", status, hdr.Get("Content-Type"))
		}
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "id,created_at,tenant_id") || !strings.Contains(lines[1], "m-csv-a") {
			t.Fatalf("scoped CSV:\n%s\nwant the header and tenant A's one delivery", body)
		}
		if !strings.Contains(lines[1], `'=HYPERLINK`) {
			t.Errorf("formula not defused: %s", lines[1])
		}
		if _, body, _ := doPage(t, app, "GET", "/admin/deliveries.csv?meeting_code=m-csv-b", "viewer", ""); !strings.Contains(body, "m-csv-b") || strings.Contains(body, "m-csv-a") {
			t.Errorf("filtered CSV:\n%s", body)
		}
		if status, _, _ := doPage(t, app, "GET", "/admin/deliveries.csv?from=yesterday", "viewer", ""); status != 422 {
			t.Errorf("bad filter: %d, want 422", status)
		}
		if status, _, _ := doPage(t, app, "GET", "/admin/deliveries.csv", "", ""); status != 401 {
			t.Errorf("anonymous: %d, want 401", status)
		}
	})
}

// TestDeliveryPageHeldAndUnsent: a delivery held for a paused tenant says
// it goes out on resume (not "queued") and offers no replay; one failed
// without any request (its tenant disabled) says why, where it used to
// say only "Not attempted yet: the delivery is queued".
func TestDeliveryPageHeldAndUnsent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{stopped: true})
		createTenant(t, db, "org_unsent", "http://127.0.0.1:1/a", nil)
		held, unsent := deliveryOf(t, db, e.ingest(t, "org_unsent", "m-held")), deliveryOf(t, db, e.ingest(t, "org_unsent", "m-unsent"))
		// What the worker writes for a paused and for a disabled tenant (tenantNotActive).
		if err := db.Gorm.Exec("UPDATE deliveries SET status = 'held' WHERE id = ?", held.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("UPDATE deliveries SET status = 'failed', last_error = ? WHERE id = ?", ReasonTenantDisabled, unsent.ID).Error; err != nil {
			t.Fatal(err)
		}
		app := testPages(e)
		for _, tc := range []struct {
			name          string
			id            int64
			want, notWant []string
		}{
			{"held", held.ID, []string{"when the tenant is resumed", "Held while the tenant is paused"},
				[]string{"The delivery is queued", `data-testid="delivery-replay"`}},
			{"failed unsent", unsent.ID, []string{"The tenant is disabled", "No attempt was made", `data-testid="delivery-retry"`},
				[]string{"The delivery is queued"}},
		} {
			status, body, _ := doPage(t, app, "GET", fmt.Sprintf("/admin/deliveries/%d", tc.id), "support", "")
			if status != 200 {
				t.Fatalf("%s: status %d", tc.name, status)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: page lacks %q", tc.name, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("%s: page shows %q", tc.name, w)
				}
			}
		}
	})
}

// TestFilterListsReceivedTypes: the deliveries and events filters offer an
// event type Switchboard received without knowing it, so support can pick
// a type Boooply added after this build; filtering by it finds its event.
func TestFilterListsReceivedTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{stopped: true})
		createTenant(t, db, "org_newtype", "http://127.0.0.1:1/a", nil)
		r, err := e.svc.Ingest(context.Background(), mustParse(t, `{"event":"interview.brand_new","data":{"meetingCode":"m-brand-new","sourceId":"org_newtype"}}`))
		if err != nil || r.Status != Accepted {
			t.Fatalf("ingest: %+v, %v", r, err)
		}
		app := testPages(e)
		for _, path := range []string{"/admin/deliveries", "/admin/events"} {
			status, body, _ := doPage(t, app, "GET", path, "support", "")
			if status != 200 || !strings.Contains(body, `<option value="interview.brand_new"`) {
				t.Errorf("%s: status %d, the event-type filter lacks interview.brand_new", path, status)
			}
		}
		status, body, _ := doPage(t, app, "GET", "/admin/events?event=interview.brand_new", "support", "")
		if status != 200 || !strings.Contains(body, "m-brand-new") {
			t.Errorf("events filtered by the new type: status %d, m-brand-new missing", status)
		}
	})
}
