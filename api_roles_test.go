package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

const rolePassword = "a long enough password"

// roleCaller is one column of the role matrix.
type roleCaller struct {
	name  string
	role  auth.Role // "" = no credentials
	scope []int64   // tenant scope; nil = every tenant
}

// roleRow is one API operation and the status each caller gets, in the
// order of callers(): none, viewer, support, support scoped to another
// tenant, admin. Admin runs last, so its successful changes don't disturb
// the others' rows.
type roleRow struct {
	method, path, body string
	want               [5]int
}

// roleFixtures are the ids the matrix rows refer to, created through the API.
type roleFixtures struct {
	tenant, other, endpoint, event, delivery, source, admin int64
}

func (f roleFixtures) expand(s string) string {
	return strings.NewReplacer("{T}", fmt.Sprint(f.tenant), "{O}", fmt.Sprint(f.other), "{E}", fmt.Sprint(f.endpoint),
		"{EV}", fmt.Sprint(f.event), "{D}", fmt.Sprint(f.delivery), "{S}", fmt.Sprint(f.source), "{A}", fmt.Sprint(f.admin)).Replace(s)
}

// roleRows is the scenario table: every mounted /api/v1 route. Writes by
// admin that would destroy a fixture are aimed where they answer 409.
var roleRows = []roleRow{
	{"GET", "/tenants", "", [5]int{401, 200, 200, 200, 200}},
	{"POST", "/tenants", `{"name":"New","source_id":"org_new"}`, [5]int{401, 403, 403, 403, 201}},
	{"POST", "/tenants/import", `{"tenants":[{"name":"Imported","source_id":"org_imported","endpoints":[{"url":"http://127.0.0.1:9/i"}]}]}`, [5]int{401, 403, 403, 403, 201}},
	{"GET", "/tenants/{T}", "", [5]int{401, 200, 200, 404, 200}},
	{"PATCH", "/tenants/{T}", `{"notes":"n"}`, [5]int{401, 403, 403, 404, 200}},
	{"GET", "/tenants/{T}/held-log", "", [5]int{401, 200, 200, 404, 200}},
	{"POST", "/tenants/{T}/deliver-held", `{}`, [5]int{401, 403, 200, 404, 200}},
	{"GET", "/tenants/{T}/endpoints", "", [5]int{401, 200, 200, 404, 200}},
	{"POST", "/tenants/{T}/endpoints", `{"url":"http://127.0.0.1:9/extra"}`, [5]int{401, 403, 403, 404, 201}},
	{"GET", "/tenants/{T}/endpoints/{E}", "", [5]int{401, 200, 200, 404, 200}},
	{"PATCH", "/tenants/{T}/endpoints/{E}", `{"description":"d"}`, [5]int{401, 403, 403, 404, 200}},
	{"POST", "/tenants/{T}/endpoints/{E}/rotate-secret", `{}`, [5]int{401, 403, 403, 404, 200}},
	{"GET", "/unrouted", "", [5]int{401, 200, 200, 200, 200}},
	{"PUT", "/tenants/{T}/endpoints/{E}/mapping", `{"mapping":{"mode":"passthrough"},"comment":"c"}`, [5]int{401, 403, 403, 404, 201}},
	{"GET", "/tenants/{T}/endpoints/{E}/mapping", "", [5]int{401, 200, 200, 404, 200}},
	{"GET", "/tenants/{T}/endpoints/{E}/mapping/versions", "", [5]int{401, 200, 200, 404, 200}},
	{"GET", "/tenants/{T}/endpoints/{E}/mapping/versions/1", "", [5]int{401, 200, 200, 404, 200}},
	{"GET", "/tenants/{T}/endpoints/{E}/mapping/diff?from=1&to=1", "", [5]int{401, 200, 200, 404, 200}},
	{"POST", "/tenants/{T}/endpoints/{E}/mapping/restore", `{"version":1}`, [5]int{401, 403, 403, 404, 201}},
	{"POST", "/mapping/preview", `{"mapping":{"mode":"passthrough"},"sample":"evaluation"}`, [5]int{401, 200, 200, 200, 200}},
	{"POST", "/mapping/preview", `{"mapping":{"mode":"passthrough"},"event_id":{EV}}`, [5]int{401, 200, 200, 404, 200}},
	{"GET", "/mapping/presets", "", [5]int{401, 200, 200, 200, 200}},
	{"GET", "/mapping/ops", "", [5]int{401, 200, 200, 200, 200}},
	{"PUT", "/tenants/{T}/correlations/m-1", `{"attributes":{"candidate_id":"1"}}`, [5]int{401, 403, 403, 404, 200}},
	{"GET", "/tenants/{T}/correlations/m-1", "", [5]int{401, 200, 200, 404, 200}},
	{"POST", "/tenants/{T}/correlations", `{"records":{"m-2":{"candidate_id":"2"}}}`, [5]int{401, 403, 403, 404, 200}},
	{"DELETE", "/tenants/{T}/correlations/m-2", "", [5]int{401, 403, 403, 404, 204}},
	{"GET", "/deliveries", "", [5]int{401, 200, 200, 200, 200}},
	{"GET", "/deliveries/{D}", "", [5]int{401, 200, 200, 404, 200}},
	{"POST", "/deliveries/{D}/retry", "", [5]int{401, 403, 409, 404, 409}}, // 409: pending, not failed
	// Out of scope, bulk-retry answers 404, as for a tenant that doesn't exist.
	{"POST", "/deliveries/bulk-retry", `{"tenant_id":{T}}`, [5]int{401, 403, 202, 404, 202}},
	{"POST", "/events/{EV}/replay", `{"endpoint_id":{E}}`, [5]int{401, 403, 409, 404, 409}}, // 409: its delivery is still pending
	{"POST", "/deliveries/test", `{"tenant_id":{T},"endpoint_id":{E}}`, [5]int{401, 403, 202, 404, 202}},
	{"POST", "/endpoints/{E}/enable", `{}`, [5]int{401, 403, 403, 403, 200}},
	{"GET", "/sources", "", [5]int{401, 403, 403, 403, 200}},
	{"POST", "/sources", `{"name":"second","platform":"p2"}`, [5]int{401, 403, 403, 403, 201}},
	{"GET", "/sources/{S}", "", [5]int{401, 403, 403, 403, 200}},
	{"PATCH", "/sources/{S}", `{"name":"renamed"}`, [5]int{401, 403, 403, 403, 200}},
	{"POST", "/sources/{S}/secrets", `{}`, [5]int{401, 403, 403, 403, 201}},
	{"DELETE", "/sources/{S}/secrets/1", "", [5]int{401, 403, 403, 403, 204}},
	{"DELETE", "/sources/{S}", "", [5]int{401, 403, 403, 403, 204}},
	{"DELETE", "/recording-links/999", "", [5]int{401, 403, 403, 403, 404}},
	// Erasure is admin only; a dry run changes nothing (the fixture event stays for the other rows).
	{"POST", "/tenants/{T}/erasures", `{"candidate_name":"jane doe","dry_run":true}`, [5]int{401, 403, 403, 404, 200}},
	{"POST", "/tenants/{T}/erasures", `{"meeting_code":"no-such-interview"}`, [5]int{401, 403, 403, 404, 404}},
	{"POST", "/tenants/{T}/erasures", `{}`, [5]int{401, 403, 403, 404, 422}},
	{"POST", "/tenants/{T}/pause", "", [5]int{401, 403, 403, 404, 200}},
	{"POST", "/tenants/{T}/resume", "", [5]int{401, 403, 403, 404, 200}},
	{"POST", "/tenants/{T}/disable", "", [5]int{401, 403, 403, 404, 200}},
	{"DELETE", "/tenants/{T}/endpoints/{E}", "", [5]int{401, 403, 403, 404, 409}}, // has deliveries
	{"DELETE", "/tenants/{T}", "", [5]int{401, 403, 403, 404, 409}},               // has events
	{"GET", "/openapi.json", "", [5]int{200, 200, 200, 200, 200}},
	// Public routes: a credential neither helps nor hurts. Setup is over (users exist).
	{"POST", "/auth/login", `{}`, [5]int{422, 422, 422, 422, 422}},
	{"POST", "/auth/token", `{}`, [5]int{422, 422, 422, 422, 422}},
	{"GET", "/auth/setup", "", [5]int{401, 401, 401, 401, 401}},
	{"POST", "/auth/setup", `{}`, [5]int{422, 422, 422, 422, 422}},
	{"GET", "/me", "", [5]int{401, 200, 200, 200, 200}},
	{"GET", "/users", "", [5]int{401, 403, 403, 403, 200}},
	{"POST", "/users", `{"email":"new@example.com","role":"viewer"}`, [5]int{401, 403, 403, 403, 201}},
	{"GET", "/users/{A}", "", [5]int{401, 403, 403, 403, 200}},
	{"PATCH", "/users/{A}", `{"name":"Admin"}`, [5]int{401, 403, 403, 403, 200}},
	{"GET", "/tokens", "", [5]int{401, 200, 200, 200, 200}},
	{"POST", "/tokens", `{"name":"ci","role":"viewer"}`, [5]int{401, 201, 201, 201, 201}},
	{"DELETE", "/tokens/999", "", [5]int{401, 404, 404, 404, 404}},
	{"GET", "/audit", "", [5]int{401, 403, 403, 403, 200}},
	{"GET", "/audit.csv", "", [5]int{401, 403, 403, 403, 200}},
	{"POST", "/auth/logout", "", [5]int{204, 204, 204, 204, 204}},
	{"POST", "/auth/logout-all", "", [5]int{401, 204, 204, 204, 204}}, // last: it ends each caller's tokens
}

// TestAPIRoles runs every row of roleRows for each caller against the real
// app on a real database, with fixtures made through the API and the
// ingest route, on each database dialect, then checks a caller scoped to another tenant sees none
// of the fixture tenant's objects in lists.
func TestAPIRoles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) { testAPIRoles(t, newTestAPIOn(t, db)) })
}

func testAPIRoles(t *testing.T, a *testAPI) {
	callers, tokens, f := roleSetup(t, a)
	documented := documentedStatuses(t)
	for _, row := range roleRows {
		path := "/api/v1" + f.expand(row.path)
		for i, c := range callers {
			got, body := roleCall(t, a, row.method, path, f.expand(row.body), tokens[c.name])
			if got != row.want[i] {
				t.Errorf("%s %s as %s = %d, want %d (%s)", row.method, path, c.name, got, row.want[i], body)
			}
			op := row.method + " " + strings.Split(f.expand(row.path), "?")[0]
			if codes := statusesFor(documented, op); !slices.Contains(codes, got) {
				t.Errorf("%s answered %d, which openapi.json does not list for it (%v)", op, got, codes)
			}
		}
	}
	// logout-all (the last row) ended every token: sign the scoped caller in again.
	checkScopedLists(t, a, bearerFor(t, a.app, "support-other-tenant@example.com", rolePassword), f)
	checkRowsCoverRoutes(t, a)
}

func callers() []roleCaller {
	return []roleCaller{{name: "none"}, {name: "viewer", role: auth.RoleViewer}, {name: "support", role: auth.RoleSupport},
		{name: "support-other-tenant", role: auth.RoleSupport}, {name: "admin", role: auth.RoleAdmin}}
}

// roleSetup creates the fixtures (two tenants, an endpoint, an ingested
// event with its delivery, a source) and a Bearer token per caller.
func roleSetup(t *testing.T, a *testAPI) ([]roleCaller, map[string]string, roleFixtures) {
	t.Helper()
	const pw = rolePassword
	cs := callers()
	tokens := map[string]string{}
	admin := &auth.User{Email: "admin@example.com", Role: auth.RoleAdmin}
	if _, err := a.gate.CreateUser(context.Background(), admin, pw); err != nil {
		t.Fatal(err)
	}
	tokens["admin"] = bearerFor(t, a.app, admin.Email, pw)
	f := roleFixtures{admin: admin.ID}
	f.tenant = roleCreate(t, a, tokens["admin"], "/api/v1/tenants",
		`{"name":"Acme","source_id":"org_7234567890","endpoints":[{"url":"http://127.0.0.1:9/hook"}]}`, "endpoints.0.id", &f.endpoint)
	f.other = roleCreate(t, a, tokens["admin"], "/api/v1/tenants", `{"name":"Other","source_id":"org_other"}`, "", nil)
	f.source = roleCreate(t, a, tokens["admin"], "/api/v1/sources", `{"name":"first","platform":"p1"}`, "source.id", nil)
	f.event, f.delivery = ingestSample(t, a, tokens["admin"])
	for _, c := range cs[1:4] {
		u := &auth.User{Email: c.name + "@example.com", Role: c.role}
		if c.name == "support-other-tenant" {
			u.TenantIDs = []int64{f.other}
		}
		if _, err := a.gate.CreateUser(context.Background(), u, pw); err != nil {
			t.Fatal(err)
		}
		tokens[c.name] = bearerFor(t, a.app, u.Email, pw)
	}
	return cs, tokens, f
}

// roleCreate POSTs body as admin, expects 201 and returns the new id (and,
// with nested, the id at that gjson-like path of the answer).
func roleCreate(t *testing.T, a *testAPI, token, path, body, nested string, into *int64) int64 {
	t.Helper()
	code, out := roleCall(t, a, "POST", path, body, token)
	if code != 201 {
		t.Fatalf("POST %s = %d %s", path, code, out)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if nested != "" {
		n := jsonNumberAt(t, v, nested)
		if into != nil {
			*into = n
			return jsonNumberAt(t, v, "id")
		}
		return n
	}
	return jsonNumberAt(t, v, "id")
}

// jsonNumberAt reads a number at a dotted path such as "endpoints.0.id".
func jsonNumberAt(t *testing.T, v any, path string) int64 {
	t.Helper()
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			var i int
			fmt.Sscan(part, &i)
			v = x[i]
		}
	}
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("no number at %s", path)
	}
	return int64(n)
}

// postSigned posts body to the real ingest route, signed with the test
// webhook secret, and fails the test unless it is accepted.
func postSigned(t *testing.T, a *testAPI, body []byte) *http.Response {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(testWebhookSecret))
	mac.Write(body)
	req := httptest.NewRequest("POST", "/webhooks/boooply", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Boooply-Signature", hex.EncodeToString(mac.Sum(nil)))
	res, err := a.app.Test(req, -1)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("ingest = %v, %v", res.StatusCode, err)
	}
	return res
}

// ingestSample posts the signed evaluation sample for the fixture tenant
// to the real ingest route and returns the event and its delivery.
func ingestSample(t *testing.T, a *testAPI, adminToken string) (int64, int64) {
	t.Helper()
	body, err := webhooks.Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	res := postSigned(t, a, body)
	var out struct {
		EventID    int64 `json:"event_id"`
		Deliveries int   `json:"deliveries"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Deliveries != 1 {
		t.Fatalf("ingest answer %+v (%v), want one delivery", out, err)
	}
	_, list := roleCall(t, a, "GET", "/api/v1/deliveries?limit=10", "", adminToken)
	var ds struct {
		Items []struct {
			ID      int64 `json:"id"`
			EventID int64 `json:"event_id"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(list), &ds); err != nil || len(ds.Items) != 1 || ds.Items[0].EventID != out.EventID {
		t.Fatalf("deliveries after ingest = %s (%v)", list, err)
	}
	return out.EventID, ds.Items[0].ID
}

func roleCall(t *testing.T, a *testAPI, method, path, body, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := a.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// checkScopedLists: a caller scoped to another tenant finds nothing of the
// fixture tenant in any list.
func checkScopedLists(t *testing.T, a *testAPI, token string, f roleFixtures) {
	t.Helper()
	for _, path := range []string{"/api/v1/tenants", "/api/v1/deliveries", "/api/v1/unrouted",
		fmt.Sprintf("/api/v1/deliveries?tenant_id=%d", f.tenant)} {
		code, body := roleCall(t, a, "GET", path, "", token)
		var out struct{ Items []map[string]any }
		if err := json.Unmarshal([]byte(body), &out); code != 200 || err != nil {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		for _, it := range out.Items {
			if it["id"] == float64(f.tenant) && strings.HasSuffix(path, "/tenants") || it["tenant_id"] == float64(f.tenant) {
				t.Errorf("GET %s as a caller scoped to tenant %d shows %v", path, f.other, it)
			}
		}
		if strings.HasSuffix(path, "/tenants") && (len(out.Items) != 1 || out.Items[0]["id"] != float64(f.other)) {
			t.Errorf("GET %s as a caller scoped to tenant %d = %v, want only that tenant", path, f.other, out.Items)
		}
		if strings.Contains(path, "deliveries") && len(out.Items) != 0 {
			t.Errorf("GET %s as a caller scoped to tenant %d lists %d deliveries, want 0", path, f.other, len(out.Items))
		}
	}
}

// checkRowsCoverRoutes fails when a mounted route (outside the auth
// package's own) has no row in roleRows.
func checkRowsCoverRoutes(t *testing.T, a *testAPI) {
	t.Helper()
	covered := map[string]bool{}
	for _, r := range roleRows {
		p, _, _ := strings.Cut(r.path, "?")
		covered[r.method+" /api/v1"+p] = true
	}
	for _, route := range a.apiRoutes() {
		method, path, _ := strings.Cut(route, " ")
		if !slices.ContainsFunc(mapsKeys(covered), func(k string) bool { return routeMatches(route, k) }) {
			t.Errorf("%s %s has no row in roleRows", method, path)
		}
	}
}

func mapsKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// routeMatches reports whether the concrete "METHOD /path" k fits the
// route pattern "METHOD /path/:param".
func routeMatches(pattern, k string) bool {
	ps, ks := strings.Split(pattern, "/"), strings.Split(k, "/")
	if len(ps) != len(ks) {
		return false
	}
	for i := range ps {
		if ps[i] != ks[i] && !strings.HasPrefix(ps[i], ":") {
			return false
		}
	}
	return true
}

// statusesFor returns the status codes openapi.json documents for the
// concrete "METHOD /path" op: the matching operation with the fewest
// parameters wins (/deliveries/test over /deliveries/{id}).
func statusesFor(documented map[string][]int, op string) []int {
	best, params := "", -1
	for pattern := range documented {
		if n := strings.Count(pattern, ":"); routeMatches(pattern, op) && (params < 0 || n < params) {
			best, params = pattern, n
		}
	}
	return documented[best]
}

// documentedStatuses maps each operation of openapi.json, as
// "METHOD /path/:param", to the status codes it documents.
func documentedStatuses(t *testing.T) map[string][]int {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	for p, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + pathParam.ReplaceAllString(p, ":$1")
			for code := range op.Responses {
				var n int
				fmt.Sscan(code, &n)
				out[key] = append(out[key], n)
			}
		}
	}
	return out
}
