package tenants

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// countingHeld records calls; the real implementation (webhooks.Service) is
// exercised end to end in package main.
type countingHeld struct{ delivered, released int }

func (h *countingHeld) DeliverHeld(context.Context, int64, string, time.Time) (int, error) {
	h.delivered++
	return 2, nil
}

func (h *countingHeld) ReleaseHeld(context.Context, *gorm.DB, int64) (int, error) {
	h.released++
	return 3, nil
}

type refuseLoopback struct{}

func (refuseLoopback) CheckURL(_ context.Context, raw string) error {
	if strings.Contains(raw, "127.0.0.1") {
		return fmt.Errorf("url: host 127.0.0.1 is loopback, which is not allowed")
	}
	return nil
}

// newTestApp mounts the API behind a middleware that sets the principal
// named by the X-Test-Role header ("" = none; "scoped" = viewer of tenant a).
func newTestApp(h *Handler, audit *auth.Store, scopedTo int64) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		if p, ok := problem.As(err); ok {
			return c.Status(problem.Status(p.Code)).JSON(p)
		}
		return c.Status(500).JSON(fiber.Map{"code": "internal"})
	}})
	api := app.Group("/api/v1", func(c *fiber.Ctx) error {
		auth.SetAuditor(c, audit)
		switch role := c.Get("X-Test-Role"); role {
		case "":
		case "scoped":
			auth.SetPrincipal(c, &auth.Principal{Email: "v@x", Role: auth.RoleViewer, TenantIDs: []int64{scopedTo}})
		default:
			auth.SetPrincipal(c, &auth.Principal{Email: role + "@x", Role: auth.Role(role)})
		}
		return c.Next()
	})
	Routes(api, h)
	return app
}

func TestHandlers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ed := NewEditor(NewStore(db.Gorm), testRing(t), refuseLoopback{}, testEventTypes)
		a := mustCreateTenant(t, ed, "Alpha", "org_a", StatusActive, EndpointInput{URL: ptr("https://a.example/hook")})
		b := mustCreateTenant(t, ed, "Bravo", "org_b", StatusActive, EndpointInput{URL: ptr("https://b.example/hook")})
		epA, _ := ed.ListEndpoints(context.Background(), a.ID)
		epB, _ := ed.ListEndpoints(context.Background(), b.ID)
		held := &countingHeld{}
		app := newTestApp(NewHandler(ed, held), auth.NewStore(db.Gorm), a.ID)
		ta, tb := fmt.Sprint("/api/v1/tenants/", a.ID), fmt.Sprint("/api/v1/tenants/", b.ID)
		epPathA := fmt.Sprint(ta, "/endpoints/", epA[0].ID)
		cases := []struct {
			name, role, method, path, body string
			wantStatus                     int
			wantContains, wantNotContains  string
		}{
			{"anonymous", "", "GET", "/api/v1/tenants", "", 401, `"unauthorized"`, ""},
			{"viewer lists", "viewer", "GET", "/api/v1/tenants", "", 200, `"org_b"`, ""},
			{"scoped viewer lists own only", "scoped", "GET", "/api/v1/tenants", "", 200, `"org_a"`, `"org_b"`},
			{"scoped viewer can't see other tenant", "scoped", "GET", tb, "", 404, "tenant not found", "Bravo"},
			{"scoped viewer can't see other endpoints", "scoped", "GET", tb + "/endpoints", "", 404, "", "b.example"},
			{"scoped viewer sees own", "scoped", "GET", ta, "", 200, `a.example/hook"`, "sealed"},
			{"search and status", "viewer", "GET", "/api/v1/tenants?q=brav&status=active", "", 200, "Bravo", "Alpha"},
			{"bad sort", "viewer", "GET", "/api/v1/tenants?sort=notes", "", 422, `"field":"sort"`, ""},
			{"negative limit", "viewer", "GET", "/api/v1/tenants?limit=-1", "", 422, `"field":"limit"`, ""},
			{"zero limit", "viewer", "GET", "/api/v1/tenants?limit=0", "", 422, `"field":"limit"`, ""},
			{"limit not a number", "viewer", "GET", "/api/v1/tenants?limit=abc", "", 422, "must be between 1 and 500", ""},
			{"limit too large", "viewer", "GET", "/api/v1/tenants?limit=501", "", 422, `"field":"limit"`, ""},
			{"limit pages", "viewer", "GET", "/api/v1/tenants?limit=1&sort=name", "", 200, "Alpha", "Bravo"},
			{"viewer can't create", "viewer", "POST", "/api/v1/tenants", `{"name":"C","source_id":"org_c"}`, 403, "forbidden", ""},
			{"create", "admin", "POST", "/api/v1/tenants", `{"name":"Charlie","source_id":"org_c","endpoints":[{"url":"https://c.example/"}]}`, 201, `"new_signing_secret":"whsec_`, ""},
			{"create without name", "admin", "POST", "/api/v1/tenants", `{"source_id":"org_d"}`, 422, `"field":"name"`, ""},
			{"create with loopback endpoint", "admin", "POST", "/api/v1/tenants", `{"name":"D","source_id":"org_d","endpoints":[{"url":"http://127.0.0.1/"}]}`, 422, `"field":"endpoints[0].url"`, ""},
			{"duplicate sourceId", "admin", "POST", "/api/v1/tenants", `{"name":"Again","source_id":"org_a"}`, 409, `"conflict"`, ""},
			{"unknown field", "admin", "POST", "/api/v1/tenants", `{"name":"E","source_id":"org_e","colour":"red"}`, 400, "colour", ""},
			{"malformed json", "admin", "POST", "/api/v1/tenants", `{"name":`, 400, "bad_request", ""},
			{"not a tenant id", "admin", "GET", "/api/v1/tenants/abc", "", 404, "tenant not found", ""},
			{"viewer can't update", "viewer", "PATCH", ta, `{"notes":"x"}`, 403, "", ""},
			{"update notes", "admin", "PATCH", ta, `{"notes":"key account"}`, 200, `"notes":"key account"`, ""},
			{"set tenant secrets", "admin", "PATCH", ta, `{"inbound_secret":"in-sec-123","boooply_api_key":"bk-456"}`, 200, `"inbound_secret":{"set":true}`, "in-sec-123"},
			{"tenant secrets never shown", "viewer", "GET", ta, "", 200, `"boooply_api_key":{"set":true}`, "bk-456"},
			{"update to active is resume's job", "admin", "PATCH", ta, `{"status":"active"}`, 422, `"field":"status"`, ""},
			{"pause", "admin", "POST", ta + "/pause", "", 200, `"status":"paused"`, ""},
			{"resume releases held", "admin", "POST", ta + "/resume", "", 200, `"released":3`, ""},
			{"viewer can't deliver held", "viewer", "POST", ta + "/deliver-held", "", 403, "", ""},
			{"support delivers held", "support", "POST", ta + "/deliver-held", `{"since":"2026-11-01T00:00:00Z"}`, 200, `"events":2`, ""},
			{"deliver held with a bad since", "admin", "POST", ta + "/deliver-held", `{"since":"yesterday"}`, 422, `"field":"since"`, ""},
			{"held log records who", "viewer", "GET", ta + "/held-log", "", 200, `"actor":"support@x"`, ""},
			{"endpoints list hides secrets", "viewer", "GET", ta + "/endpoints", "", 200, `"signing_secret":{"set":true`, "whsec_"},
			{"endpoint of another tenant", "admin", "GET", fmt.Sprint(ta, "/endpoints/", epB[0].ID), "", 404, "endpoint not found", ""},
			{"add endpoint", "admin", "POST", ta + "/endpoints", `{"url":"https://a2.example/","auth_type":"bearer","auth_secret":"tok-123456"}`, 201, `"new_signing_secret":"whsec_`, "tok-123456"},
			{"add endpoint bad header", "admin", "POST", ta + "/endpoints", `{"url":"https://a3.example/","headers":{"Authorization":"x"}}`, 422, `"field":"headers"`, ""},
			{"add endpoint rate below one per hour", "admin", "POST", ta + "/endpoints", `{"url":"https://a4.example/","rate_limit_per_second":1e-300}`, 422, `"reason":"must be 0 (unlimited) or between 0.000278 (one per hour) and 10000"`, ""},
			{"update endpoint rate below one per hour", "admin", "PATCH", epPathA, `{"rate_limit_per_second":0.0001}`, 422, `"field":"rate_limit_per_second"`, ""},
			{"update endpoint rate above 10000", "admin", "PATCH", epPathA, `{"rate_limit_per_second":20000}`, 422, `"field":"rate_limit_per_second"`, ""},
			{"add endpoint one header in two cases", "admin", "POST", ta + "/endpoints", `{"url":"https://a5.example/","headers":{"x-a":"1","X-A":"2"}}`, 422, `the same header X-A`, ""},
			{"update endpoint one header in two cases", "admin", "PATCH", epPathA, `{"headers":{"x-a":"1","X-A":"2"}}`, 422, `"field":"headers"`, ""},
			{"refused updates left the endpoint alone", "admin", "GET", epPathA, "", 200, `"rate_limit_per_second":0`, `"X-A"`},
			{"update endpoint", "admin", "PATCH", epPathA, `{"enabled":false,"subscriptions":["interview.scores"]}`, 200, `"enabled":false`, ""},
			{"viewer can't rotate", "viewer", "POST", epPathA + "/rotate-secret", "", 403, "", ""},
			{"rotate", "admin", "POST", epPathA + "/rotate-secret", `{"overlap":"2h"}`, 200, `"previous_signing_secret":{"set":true`, ""},
			{"show endpoint after rotate", "admin", "GET", epPathA, "", 200, `"previous_signing_secret"`, "whsec_"},
			{"unrouted for admin", "admin", "GET", "/api/v1/unrouted", "", 200, `"items":[]`, ""},
			{"unrouted hidden from scoped", "scoped", "GET", "/api/v1/unrouted", "", 200, `"items":[]`, ""},
			{"unrouted negative limit", "admin", "GET", "/api/v1/unrouted?limit=-5", "", 422, `"field":"limit"`, ""},
			{"unrouted limit not a number", "admin", "GET", "/api/v1/unrouted?limit=abc", "", 422, `"field":"limit"`, ""},
			{"unrouted bad limit when scoped", "scoped", "GET", "/api/v1/unrouted?limit=0", "", 422, `"field":"limit"`, ""},
			{"unrouted good limit", "admin", "GET", "/api/v1/unrouted?limit=10", "", 200, `"items":`, ""},
			{"delete tenant without history", "admin", "DELETE", tb, "", 204, "", ""},
			{"deleted tenant is gone", "admin", "GET", tb, "", 404, "", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Test-Role", tc.role)
				resp, err := app.Test(req, -1)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
				}
				if tc.wantContains != "" && !strings.Contains(string(body), tc.wantContains) {
					t.Fatalf("body %s does not contain %s", body, tc.wantContains)
				}
				if tc.wantNotContains != "" && strings.Contains(string(body), tc.wantNotContains) {
					t.Fatalf("body %s contains %s", body, tc.wantNotContains)
				}
			})
		}
		if held.delivered != 1 || held.released != 1 {
			t.Fatalf("held calls: delivered %d, released %d; want 1 and 1", held.delivered, held.released)
		}
	})
}
