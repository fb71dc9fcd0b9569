package main

import (
	"github.com/riverqueue/river"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/webhooks"

	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/testdb"
)

// publicRoutes answer without credentials; every other /api/v1 route must say 401.
var publicRoutes = []string{
	"GET /api/v1/openapi.json", "POST /api/v1/auth/login", "POST /api/v1/auth/token",
	"POST /api/v1/auth/logout", "GET /api/v1/auth/setup", "POST /api/v1/auth/setup",
}

// supportMayChange lists the unsafe routes a support (or viewer) user may
// call: their own session and tokens, and retries, replays, test sends and
// held-event delivery (support only: TestAPIRoles checks viewers get 403).
// Every other unsafe route must refuse them.
var supportMayChange = []string{
	"POST /api/v1/auth/login", "POST /api/v1/auth/token", "POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all",
	"POST /api/v1/auth/setup", "POST /api/v1/tokens", "DELETE /api/v1/tokens/:id",
	// Delivery operations (auth.PermRetry): they resend what exists and change
	// no configuration. deliver-held attaches the tenant's own held events.
	"POST /api/v1/deliveries/:id/retry", "POST /api/v1/deliveries/bulk-retry", "POST /api/v1/events/:id/replay",
	"POST /api/v1/deliveries/test", "POST /api/v1/tenants/:tenant/deliver-held",
}

// testWebhookSecret signs the events newTestAPI's ingest route accepts.
const testWebhookSecret = "api-test-webhook-secret"

// testAPI is the real app with /api/v1 mounted as serve mounts it.
type testAPI struct {
	app  *fiber.App
	gate *auth.Service
}

func newTestAPI(t *testing.T, proxies ...string) *testAPI {
	t.Helper()
	return newTestAPIOn(t, testdb.Open(t, testdb.Targets(t)[0].URL), proxies...)
}

// newTestAPIOn is newTestAPI on a given database (for testdb.Each).
func newTestAPIOn(t *testing.T, db *database.DB, proxies ...string) *testAPI {
	t.Helper()
	key, err := secrets.ParseKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg := Config{MaxBodyBytes: 1 << 20, Listen: "127.0.0.1:0", TrustedProxies: proxies, ProxyHeader: "X-Forwarded-For"}
	gate, err := newGate(context.Background(), db, secrets.NewKeyring(key), nil, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	// An insert-only River client: the API schedules work, nothing runs it here.
	policy := webhooks.NewRetryPolicy(nil, 0)
	queue, err := river.NewClient(db.RiverDriver(), &river.Config{RetryPolicy: policy})
	if err != nil {
		t.Fatal(err)
	}
	svc := webhooks.NewService(db.Gorm, routing.NewPlanner(), queue, policy, log)
	ring := secrets.NewKeyring(key)
	app := newApp(cfg, log)
	links, err := webhooks.NewRecordingLinks(db.Gorm, ring, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.WebhookSecrets, cfg.InboundBearer, cfg.IngestBatch, cfg.SourcesReload = []string{testWebhookSecret}, webhooks.BearerAccepted, 1, time.Hour
	ingest, err := mountIngest(t.Context(), app, db, ring, links, svc, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	mountAPI(mountGate(app, gate), apiDeps{db: db, ring: ring, guard: &egress.Guard{AllowPrivate: true}, held: svc, svc: svc, gate: gate,
		sources: ingest.sources, recordings: ingest.recordings})
	return &testAPI{app: app, gate: gate}
}

// apiRoutes lists mounted /api/v1 routes as "METHOD /path/:param".
func (a *testAPI) apiRoutes() []string {
	var out []string
	for _, r := range a.app.GetRoutes(true) {
		if strings.HasPrefix(r.Path, "/api/v1/") && r.Method != fiber.MethodHead {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestOpenAPIMatchesRoutes fails when a mounted /api/v1 route has no
// documented operation in openapi.json, or the document describes a route
// that isn't mounted. The message lists both, ready to fill in.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 {
		t.Fatalf("openapi.json is not an OpenAPI 3 document with one server (err %v)", err)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+doc.Servers[0].URL+pathParam.ReplaceAllString(p, ":$1"))
		}
	}
	mounted := newTestAPI(t).apiRoutes()
	var undocumented, unmounted []string
	for _, r := range mounted {
		if !slices.Contains(documented, r) {
			undocumented = append(undocumented, r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(mounted, d) {
			unmounted = append(unmounted, d)
		}
	}
	slices.Sort(unmounted)
	if len(undocumented)+len(unmounted) > 0 {
		t.Fatalf("openapi.json and the mounted routes disagree.\nMounted but not documented (add an operation under \"paths\"):\n  %s\nDocumented but not mounted (remove, or mount the route):\n  %s",
			strings.Join(undocumented, "\n  "), strings.Join(unmounted, "\n  "))
	}
}

// TestAPIGate walks every mounted /api/v1 route: without credentials each
// non-public one is 401; a support and a viewer token never get a 2xx from
// an unsafe route outside supportMayChange (no configuration change by any
// path); and an unsafe request riding the session cookie without the CSRF
// token is 403.
func TestAPIGate(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	pw := "a long enough password"
	tokens := map[auth.Role]string{}
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleSupport, auth.RoleViewer} {
		u := &auth.User{Email: string(role) + "@example.com", Role: role}
		if _, err := a.gate.CreateUser(ctx, u, pw); err != nil {
			t.Fatal(err)
		}
		tokens[role] = bearerFor(t, a.app, u.Email, pw)
	}
	cookie := sessionCookieFor(t, a.app, "admin@example.com", pw)
	for _, route := range a.apiRoutes() {
		method, path, _ := strings.Cut(route, " ")
		url := strings.NewReplacer(":id", "1", ":tenant", "1", ":endpoint", "1").Replace(path)
		unsafe := method != "GET"
		t.Run(route, func(t *testing.T) {
			if got := call(t, a.app, method, url, "", nil); !slices.Contains(publicRoutes, route) && got != 401 {
				t.Errorf("without credentials = %d, want 401", got)
			}
			if !unsafe || slices.Contains(supportMayChange, route) {
				return
			}
			for _, role := range []auth.Role{auth.RoleSupport, auth.RoleViewer} {
				if got := call(t, a.app, method, url, tokens[role], nil); got < 300 {
					t.Errorf("as %s = %d, want 403 or 404: support and viewer change no configuration", role, got)
				}
			}
			if got := call(t, a.app, method, url, "", cookie); got != 403 {
				t.Errorf("admin cookie without CSRF token = %d, want 403", got)
			}
		})
	}
}

func call(t *testing.T, app *fiber.App, method, url, bearer string, cookie *http.Cookie) int {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	res.Body.Close()
	return res.StatusCode
}

func loginRequest(t *testing.T, app *fiber.App, path, email, pw string) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	res, err := app.Test(req, -1)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("POST %s as %s: %v %v", path, email, res.StatusCode, err)
	}
	return res
}

func bearerFor(t *testing.T, app *fiber.App, email, pw string) string {
	t.Helper()
	res := loginRequest(t, app, "/api/v1/auth/token", email, pw)
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("token for %s: %v", email, err)
	}
	return out.Token
}

func sessionCookieFor(t *testing.T, app *fiber.App, email, pw string) *http.Cookie {
	t.Helper()
	res := loginRequest(t, app, "/api/v1/auth/login", email, pw)
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == auth.SessionCookie {
			return c
		}
	}
	t.Fatalf("login set no %s cookie", auth.SessionCookie)
	return nil
}

// TestClientAddress: the audit trail takes the client address from
// X-Forwarded-For only when the request comes from a trusted proxy.
func TestClientAddress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxies []string
		want    string
	}{
		{name: "no trusted proxy", want: "0.0.0.0"}, // app.Test's connection address
		{name: "trusted proxy", proxies: []string{"0.0.0.0/8"}, want: "203.0.113.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t, tc.proxies...)
			req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"x@example.com","password":"wrong"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", "203.0.113.5, 10.0.0.1")
			if res, err := a.app.Test(req, -1); err != nil || res.StatusCode != 401 {
				t.Fatalf("login = %v, %v", res.StatusCode, err)
			}
			es, _, err := a.gate.Store().ListAudit(context.Background(), auth.AuditFilter{Action: "auth.login_failed"})
			if err != nil || len(es) != 1 || es[0].IP != tc.want {
				t.Fatalf("audit = %+v (err %v), want one failure from %s", es, err, tc.want)
			}
		})
	}
}

// adminBearer creates an admin account directly in the database at dbURL
// and returns a Bearer JWT for it from the server at base. End-to-end tests
// of other packages use it to call /api/v1 (there is no unauthenticated mode).
func adminBearer(t *testing.T, dbURL, base string) string {
	t.Helper()
	const pw = "e2e admin password"
	email := "e2e-admin@example.com"
	db := testdb.Open(t, dbURL)
	_, err := auth.NewStore(db.Gorm).CreateUserWithPassword(context.Background(), &auth.User{Email: email, Role: auth.RoleAdmin}, pw)
	if p, ok := problem.As(err); err != nil && (!ok || p.Code != problem.CodeConflict) {
		t.Fatalf("create e2e admin: %v", err)
	}
	res, err := http.Post(base+"/api/v1/auth/token", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+pw+`"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("token for the e2e admin: %v %v", res.StatusCode, err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("decode token: %v", err)
	}
	return out.Token
}

// TestOpenAPIDocument checks openapi.json is a sound document: every $ref
// points at an existing component, every {param} in a path is declared as
// a path parameter of each of its operations, and every operation has a
// unique operationId, a summary, a tag and a success response.
func TestOpenAPIDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	walkRefs(t, doc, doc, "#")
	paths, _ := doc["paths"].(map[string]any)
	opIDs := map[string]bool{}
	for p, v := range paths {
		for method, o := range v.(map[string]any) {
			op := o.(map[string]any)
			declared := map[string]bool{}
			for _, raw := range asSlice(op["parameters"]) {
				prm := resolveRef(doc, raw.(map[string]any))
				if prm["in"] == "path" {
					declared[prm["name"].(string)] = true
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(p, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter %q is not declared", method, p, m[1])
				}
			}
			if op["summary"] == "" || len(asSlice(op["tags"])) == 0 {
				t.Errorf("%s %s: missing summary or tags", method, p)
			}
			id, _ := op["operationId"].(string)
			if id == "" || opIDs[id] {
				t.Errorf("%s %s: operationId %q is missing or used twice", method, p, id)
			}
			opIDs[id] = true
			if !hasSuccess(op) {
				t.Errorf("%s %s: no 2xx response", method, p)
			}
		}
	}
}

// walkRefs fails for every "$ref" under v that does not resolve in doc.
func walkRefs(t *testing.T, doc, v any, at string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if k == "$ref" {
				if lookupPointer(doc, child.(string)) == nil {
					t.Errorf("%s: $ref %v does not resolve", at, child)
				}
				continue
			}
			walkRefs(t, doc, child, at+"/"+k)
		}
	case []any:
		for _, child := range x {
			walkRefs(t, doc, child, at+"[]")
		}
	}
}

// lookupPointer follows a local JSON pointer like #/components/schemas/Error.
func lookupPointer(doc any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	cur := doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	return cur
}

func resolveRef(doc any, m map[string]any) map[string]any {
	if ref, ok := m["$ref"].(string); ok {
		if r, ok := lookupPointer(doc, ref).(map[string]any); ok {
			return r
		}
	}
	return m
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func hasSuccess(op map[string]any) bool {
	res, _ := op["responses"].(map[string]any)
	for code := range res {
		if strings.HasPrefix(code, "2") {
			return true
		}
	}
	return false
}
