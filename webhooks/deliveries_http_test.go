package webhooks

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// testAPI mounts the deliveries API with a principal chosen per request by
// the X-Role and X-Scope headers (none: unauthenticated).
func testAPI(e *engine) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		if p, ok := problem.As(err); ok {
			return c.Status(problem.Status(p.Code)).JSON(p)
		}
		return c.Status(500).JSON(fiber.Map{"code": "internal"})
	}})
	audit := auth.NewStore(e.db.Gorm)
	api := app.Group("/api/v1", func(c *fiber.Ctx) error {
		auth.SetAuditor(c, audit)
		if role := c.Get("X-Role"); role != "" {
			p := &auth.Principal{Role: auth.Role(role)}
			if s := c.Get("X-Scope"); s != "" {
				id, _ := strconv.ParseInt(s, 10, 64)
				p.TenantIDs = []int64{id}
			}
			auth.SetPrincipal(c, p)
		}
		return c.Next()
	})
	DeliveryRoutes(api, NewDeliveriesHandler(NewStore(e.db.Gorm), e.svc))
	return app
}

// TestDeliveriesAPI is the API's scenario table: roles, scope, bad input.
func TestDeliveriesAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{5 * time.Millisecond}})
		down := newHook(t, failFirst(1000, 500))
		ta, epA := createTenant(t, db, "org_api_a", down.URL, nil)
		tb, _ := createTenant(t, db, "org_api_b", down.URL, nil)
		evA, evB := e.ingest(t, "org_api_a", "m-api-a"), e.ingest(t, "org_api_b", "m-api-b")
		waitUntil(t, "failures", func() bool {
			return count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 2
		})
		dA, dB := deliveryOf(t, db, evA), deliveryOf(t, db, evB)
		tnC, _ := createTenant(t, db, "org_api_c", down.URL, nil)
		setTenantStatus(t, db, tnC.ID, tenants.StatusPaused)
		evC := e.ingest(t, "org_api_c", "m-api-held")
		waitUntil(t, "held", func() bool { return countStatus(t, db, []int64{evC}, DeliveryHeld) == 1 })
		app := testAPI(e)
		a, b := strconv.FormatInt(ta.ID, 10), strconv.FormatInt(tb.ID, 10)
		cases := []struct {
			name, role, scope, method, path, body string
			wantStatus                            int
			wantContains, wantNotContains         string
		}{
			{"list needs a principal", "", "", "GET", "/api/v1/deliveries", "", 401, "unauthorized", ""},
			{"admin lists all", "admin", "", "GET", "/api/v1/deliveries", "", 200, "m-api-b", ""},
			{"scoped viewer sees only its tenant", "viewer", a, "GET", "/api/v1/deliveries", "", 200, "m-api-a", "m-api-b"},
			{"filter by meeting code", "admin", "", "GET", "/api/v1/deliveries?meeting_code=m-api-b", "", 200, "m-api-b", "m-api-a"},
			{"filter by status", "admin", "", "GET", "/api/v1/deliveries?status=delivered", "", 200, `"items":[]`, ""},
			{"bad status", "admin", "", "GET", "/api/v1/deliveries?status=lost", "", 422, "must be pending, held, delivered or failed", ""},
			{"filter by held status", "admin", "", "GET", "/api/v1/deliveries?status=held", "", 200, `"status":"held"`, "m-api-a"},
			{"held status in scope only", "viewer", a, "GET", "/api/v1/deliveries?status=held", "", 200, `"items":[]`, "m-api-held"},
			{"pending leaves held out", "admin", "", "GET", "/api/v1/deliveries?status=pending", "", 200, `"items":`, "m-api-held"},
			{"bad time", "admin", "", "GET", "/api/v1/deliveries?since=yesterday", "", 422, "RFC 3339", ""},
			{"bad limit", "admin", "", "GET", "/api/v1/deliveries?limit=0", "", 422, "limit", ""},
			{"limit not a number", "admin", "", "GET", "/api/v1/deliveries?limit=abc", "", 422, "must be between 1 and 500", ""},
			{"detail with attempts", "viewer", a, "GET", fmt.Sprintf("/api/v1/deliveries/%d", dA.ID), "", 200, `"error_class":"http-status"`, ""},
			{"detail outside scope is not found", "viewer", b, "GET", fmt.Sprintf("/api/v1/deliveries/%d", dA.ID), "", 404, "not_found", "m-api-a"},
			{"detail of a bad id", "admin", "", "GET", "/api/v1/deliveries/abc", "", 404, "not_found", ""},
			{"viewer may not retry", "viewer", "", "POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", dA.ID), "", 403, "forbidden", ""},
			{"support retries in scope", "support", b, "POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", dB.ID), "", 202, "pending", ""},
			{"support can't retry outside scope", "support", b, "POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", dA.ID), "", 404, "not_found", ""},
			{"bulk retry needs a target", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", `{}`, 422, "tenant_id", ""},
			{"bulk retry bad json", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", `{"tenant_id":"x"`, 400, "bad_request", ""},
			{"bulk retry by tenant", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", `{"tenant_id":` + a + `}`, 202, `"retried":1`, ""},
			{"support bulk retries its tenant", "support", b, "POST", "/api/v1/deliveries/bulk-retry", `{"tenant_id":` + b + `}`, 202, `"retried":`, ""},
			{"bulk retry of a tenant outside scope", "support", b, "POST", "/api/v1/deliveries/bulk-retry", `{"tenant_id":` + a + `}`, 404, "not_found", "retried"},
			{"bulk retry of an unknown tenant", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", `{"tenant_id":99999}`, 404, "not_found", "retried"},
			{"bulk retry of an unknown tenant when scoped", "support", b, "POST", "/api/v1/deliveries/bulk-retry", `{"tenant_id":99999}`, 404, "not_found", "retried"},
			{"bulk retry of a negative tenant", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", `{"tenant_id":-1}`, 422, `"field":"tenant_id"`, "retried"},
			{"bulk retry of a negative endpoint", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", `{"endpoint_id":-1}`, 422, `"field":"endpoint_id"`, "retried"},
			{"bulk retry of an endpoint outside scope", "support", b, "POST", "/api/v1/deliveries/bulk-retry", fmt.Sprintf(`{"endpoint_id":%d}`, epA.ID), 404, "not_found", "retried"},
			{"bulk retry of an unknown endpoint", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", `{"endpoint_id":99999}`, 404, "not_found", "retried"},
			{"bulk retry of another tenant's endpoint", "admin", "", "POST", "/api/v1/deliveries/bulk-retry", fmt.Sprintf(`{"tenant_id":%s,"endpoint_id":%d}`, b, epA.ID), 404, "endpoint", "retried"},
			{"replay needs an endpoint", "admin", "", "POST", fmt.Sprintf("/api/v1/events/%d/replay", evA), `{}`, 422, "endpoint_id", ""},
			{"replay to another tenant's endpoint", "admin", "", "POST", fmt.Sprintf("/api/v1/events/%d/replay", evB), fmt.Sprintf(`{"endpoint_id":%d}`, epA.ID), 404, "endpoint", ""},
			{"test event with unknown type", "admin", "", "POST", "/api/v1/deliveries/test", fmt.Sprintf(`{"tenant_id":%s,"endpoint_id":%d,"event_type":"nope"}`, a, epA.ID), 422, "interview.interviewer_evaluation", ""},
			{"test event", "support", a, "POST", "/api/v1/deliveries/test", fmt.Sprintf(`{"tenant_id":%s,"endpoint_id":%d}`, a, epA.ID), 202, "delivery_id", ""},
			{"test event outside scope", "support", b, "POST", "/api/v1/deliveries/test", fmt.Sprintf(`{"tenant_id":%s,"endpoint_id":%d}`, a, epA.ID), 404, "not_found", ""},
			{"support may not enable endpoints", "support", "", "POST", fmt.Sprintf("/api/v1/endpoints/%d/enable", epA.ID), `{}`, 403, "forbidden", ""},
			{"admin enables with redelivery", "admin", "", "POST", fmt.Sprintf("/api/v1/endpoints/%d/enable", epA.ID), `{"redeliver":true}`, 200, `"enabled":true`, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				if tc.role != "" {
					req.Header.Set("X-Role", tc.role)
				}
				if tc.scope != "" {
					req.Header.Set("X-Scope", tc.scope)
				}
				resp, err := app.Test(req, 10000)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantContains) ||
					(tc.wantNotContains != "" && strings.Contains(string(body), tc.wantNotContains)) {
					t.Fatalf("got %d %s, want %d containing %q and not %q", resp.StatusCode, body, tc.wantStatus, tc.wantContains, tc.wantNotContains)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("content type %q, want JSON", ct)
				}
			})
		}
		// Only the two accepted bulk retries leave an audit row; a refused one leaves none.
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM audit_log WHERE action = 'delivery.bulk_retry'"); n != 2 {
			t.Errorf("%d delivery.bulk_retry audit rows, want 2 (one per accepted bulk retry)", n)
		}
	})
}
