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

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
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
// call: their own session and tokens, and retries/replays (add those rows
// at merge). Every other unsafe route must refuse them.
var supportMayChange = []string{
	"POST /api/v1/auth/login", "POST /api/v1/auth/token", "POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all",
	"POST /api/v1/auth/setup", "POST /api/v1/tokens", "DELETE /api/v1/tokens/:id",
}

// testAPI is the real app with /api/v1 mounted as serve mounts it.
type testAPI struct {
	app  *fiber.App
	gate *auth.Service
}

func newTestAPI(t *testing.T, proxies ...string) *testAPI {
	t.Helper()
	db := testdb.Open(t, testdb.Targets(t)[0].URL)
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
	mountAPI(mountGate(app, gate), apiDeps{db: db, ring: ring, guard: &egress.Guard{AllowPrivate: true}, held: svc, svc: svc, gate: gate})
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
