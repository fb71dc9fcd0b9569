package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// access is who may call a route.
type access string

const (
	accessPublic access = "public" // no credentials: the allow-list
	accessRead   access = "read"   // every signed-in role: reads (and previews) within the caller's scope
	accessSelf   access = "self"   // every signed-in role, on their own account, session and API tokens
	accessRetry  access = "retry"  // support and admin: retry, replay, test-send, deliver held events
	accessConfig access = "config" // admin only: changes configuration, or its forms and secrets
	accessManage access = "manage" // admin only: users, every API token, the audit log
)

// routeTable holds the access decision of every route mountRoutes
// registers (as serve does), keyed "METHOD /path/:param" (HEAD follows
// GET). TestRouteTable fails on a mounted route missing here, so a new
// route needs a decision before it can ship, and on a row no route has.
var routeTable = map[string]access{
	// The allow-list: no credentials.
	"GET /healthz": accessPublic, "GET /readyz": accessPublic, "GET /metrics": accessPublic,
	"POST /webhooks/boooply": accessPublic, // HMAC-signed by the platform instead
	"GET /r/:token":          accessPublic, // a recording link: the token is the capability
	"GET /login":             accessPublic, "POST /login": accessPublic,
	"GET /setup": accessPublic, "POST /setup": accessPublic, // the one-time setup token instead
	"GET /static/*": accessPublic, "GET /api/v1/openapi.json": accessPublic,
	"POST /api/v1/auth/login": accessPublic, "POST /api/v1/auth/token": accessPublic, "POST /api/v1/auth/logout": accessPublic,
	"GET /api/v1/auth/setup": accessPublic, "POST /api/v1/auth/setup": accessPublic,

	// /api/v1
	"GET /api/v1/me": accessSelf, "POST /api/v1/auth/logout-all": accessSelf,
	"GET /api/v1/tokens": accessSelf, "POST /api/v1/tokens": accessSelf, "DELETE /api/v1/tokens/:id": accessSelf,
	"GET /api/v1/users": accessManage, "POST /api/v1/users": accessManage, "GET /api/v1/users/:id": accessManage,
	"PATCH /api/v1/users/:id": accessManage, "GET /api/v1/audit": accessManage, "GET /api/v1/audit.csv": accessManage,
	"GET /api/v1/tenants": accessRead, "POST /api/v1/tenants": accessConfig, "POST /api/v1/tenants/import": accessConfig,
	"GET /api/v1/tenants/:tenant": accessRead, "PATCH /api/v1/tenants/:tenant": accessConfig, "DELETE /api/v1/tenants/:tenant": accessConfig,
	"POST /api/v1/tenants/:tenant/pause": accessConfig, "POST /api/v1/tenants/:tenant/disable": accessConfig,
	"POST /api/v1/tenants/:tenant/resume": accessConfig, "POST /api/v1/tenants/:tenant/deliver-held": accessRetry,
	"GET /api/v1/tenants/:tenant/held-log":  accessRead,
	"GET /api/v1/tenants/:tenant/endpoints": accessRead, "POST /api/v1/tenants/:tenant/endpoints": accessConfig,
	"GET /api/v1/tenants/:tenant/endpoints/:endpoint": accessRead, "PATCH /api/v1/tenants/:tenant/endpoints/:endpoint": accessConfig,
	"DELETE /api/v1/tenants/:tenant/endpoints/:endpoint":                        accessConfig,
	"POST /api/v1/tenants/:tenant/endpoints/:endpoint/rotate-secret":            accessConfig,
	"GET /api/v1/tenants/:tenant/endpoints/:endpoint/mapping":                   accessRead,
	"PUT /api/v1/tenants/:tenant/endpoints/:endpoint/mapping":                   accessConfig,
	"GET /api/v1/tenants/:tenant/endpoints/:endpoint/mapping/versions":          accessRead,
	"GET /api/v1/tenants/:tenant/endpoints/:endpoint/mapping/versions/:version": accessRead,
	"GET /api/v1/tenants/:tenant/endpoints/:endpoint/mapping/diff":              accessRead,
	"POST /api/v1/tenants/:tenant/endpoints/:endpoint/mapping/restore":          accessConfig,
	"POST /api/v1/mapping/preview":                                              accessRead, "GET /api/v1/mapping/presets": accessRead, "GET /api/v1/mapping/ops": accessRead,
	"POST /api/v1/tenants/:tenant/correlations":                accessConfig,
	"GET /api/v1/tenants/:tenant/correlations/:meetingCode":    accessRead,
	"PUT /api/v1/tenants/:tenant/correlations/:meetingCode":    accessConfig,
	"DELETE /api/v1/tenants/:tenant/correlations/:meetingCode": accessConfig,
	"GET /api/v1/unrouted":                                     accessRead,
	"GET /api/v1/deliveries":                                   accessRead, "GET /api/v1/deliveries/:id": accessRead,
	"POST /api/v1/deliveries/bulk-retry": accessRetry, "POST /api/v1/deliveries/test": accessRetry,
	"POST /api/v1/deliveries/:id/retry": accessRetry, "POST /api/v1/events/:id/replay": accessRetry,
	"POST /api/v1/endpoints/:id/enable": accessConfig,
	"GET /api/v1/sources":               accessConfig, "POST /api/v1/sources": accessConfig, "GET /api/v1/sources/:id": accessConfig,
	"PATCH /api/v1/sources/:id": accessConfig, "DELETE /api/v1/sources/:id": accessConfig,
	"POST /api/v1/sources/:id/secrets": accessConfig, "DELETE /api/v1/sources/:id/secrets/:number": accessConfig,
	"DELETE /api/v1/recording-links/:id":    accessConfig,
	"POST /api/v1/tenants/:tenant/erasures": accessConfig, // erasing a candidate's data: admin only

	// /admin pages
	"GET /admin": accessRead, "POST /admin/logout": accessSelf,
	"GET /admin/account": accessSelf, "POST /admin/account/password": accessSelf,
	"GET /admin/users": accessManage, "POST /admin/users": accessManage, "GET /admin/users/:id": accessManage,
	"POST /admin/users/:id": accessManage, "POST /admin/users/:id/disable": accessManage, "POST /admin/users/:id/enable": accessManage,
	"POST /admin/tokens": accessManage, "POST /admin/tokens/:id/revoke": accessManage, "GET /admin/audit": accessManage,
	"GET /admin/deliveries": accessRead, "GET /admin/deliveries.csv": accessRead, "GET /admin/deliveries/:id": accessRead,
	"POST /admin/deliveries/bulk-retry": accessRetry, "POST /admin/deliveries/test": accessRetry,
	"POST /admin/deliveries/:id/retry": accessRetry, "POST /admin/deliveries/:id/replay": accessRetry,
	"GET /admin/events": accessRead, "GET /admin/events/:id": accessRead,
	"GET /admin/events/:id/erase": accessConfig, "POST /admin/events/:id/erase": accessConfig, // erasing a candidate's data: admin only
	"GET /admin/unrouted": accessRead, "POST /admin/unrouted/:tenant/deliver": accessRetry,
	"GET /admin/tenants": accessRead, "GET /admin/tenant-suggestions": accessRead,
	"GET /admin/tenants/new": accessConfig, "POST /admin/tenants": accessConfig,
	"GET /admin/tenants/:tenant": accessRead, "POST /admin/tenants/:tenant": accessConfig,
	"POST /admin/tenants/:tenant/pause": accessConfig, "POST /admin/tenants/:tenant/disable": accessConfig,
	"POST /admin/tenants/:tenant/resume": accessConfig, "POST /admin/tenants/:tenant/rotate-secret": accessConfig,
	"POST /admin/tenants/:tenant/credentials": accessConfig, "POST /admin/tenants/:tenant/delete": accessConfig,
	"GET /admin/tenants/:tenant/endpoints/new": accessConfig, "POST /admin/tenants/:tenant/endpoints": accessConfig,
	"POST /admin/tenants/:tenant/endpoints/check-url": accessConfig,
	"GET /admin/tenants/:tenant/endpoints/:endpoint":  accessRead, "POST /admin/tenants/:tenant/endpoints/:endpoint": accessConfig,
	"POST /admin/tenants/:tenant/endpoints/:endpoint/rotate-secret": accessConfig,
	"POST /admin/tenants/:tenant/endpoints/:endpoint/delete":        accessConfig,
	// A GET of a form's action (a reload after a post) goes back to the page.
	"GET /admin/tenants/:tenant/endpoints": accessRead, "GET /admin/tenants/:tenant/rotate-secret": accessRead,
	"GET /admin/tenants/:tenant/credentials": accessRead, "GET /admin/tenants/:tenant/pause": accessRead,
	"GET /admin/tenants/:tenant/disable": accessRead, "GET /admin/tenants/:tenant/resume": accessRead,
	"GET /admin/tenants/:tenant/delete": accessRead, "GET /admin/tenants/:tenant/endpoints/:endpoint/rotate-secret": accessRead,
	"GET /admin/tenants/:tenant/endpoints/:endpoint/delete":                    accessRead,
	"GET /admin/tenants/:tenant/endpoints/:endpoint/mapping":                   accessRead,
	"POST /admin/tenants/:tenant/endpoints/:endpoint/mapping":                  accessConfig,
	"POST /admin/tenants/:tenant/endpoints/:endpoint/mapping/preview":          accessRead,
	"POST /admin/tenants/:tenant/endpoints/:endpoint/mapping/preset":           accessConfig,
	"POST /admin/tenants/:tenant/endpoints/:endpoint/mapping/restore/:version": accessConfig,
	"GET /admin/tenants/:tenant/endpoints/:endpoint/mapping/diff":              accessRead,
	"GET /admin/sources": accessConfig, "POST /admin/sources": accessConfig, "POST /admin/sources/:id/rotate": accessConfig,
	"POST /admin/sources/:id/secrets/:number/revoke": accessConfig,
}

// endsSession are the routes after which the caller signs in again.
var endsSession = []string{"POST /admin/logout", "POST /api/v1/auth/logout-all"}

// testApp is the app as serve builds it (mountRoutes), on a loopback
// listener, with an insert-only River client (nothing delivers).
type testApp struct {
	app  *fiber.App
	gate *auth.Service
	db   *database.DB
	base string
}

func newTestApp(t *testing.T, db *database.DB) *testApp {
	t.Helper()
	key, err := secrets.ParseKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	cfg := Config{MaxBodyBytes: 1 << 20, Listen: "127.0.0.1:0", WebhookSecrets: []string{testSecret},
		InboundBearer: webhooks.BearerAccepted, IngestBatch: 1, SourcesReload: time.Hour}
	ring := secrets.NewKeyring(key)
	gate, err := newGate(t.Context(), db, ring, nil, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	policy := webhooks.NewRetryPolicy(nil, 0)
	queue, err := river.NewClient(db.RiverDriver(), &river.Config{RetryPolicy: policy})
	if err != nil {
		t.Fatal(err)
	}
	svc := webhooks.NewService(db.Gorm, routing.NewPlanner(), queue, policy, log)
	links, err := webhooks.NewRecordingLinks(db.Gorm, ring, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(cfg, log)
	registry, _ := newMetricsRegistry(db)
	parts := serverParts{db: db, ring: ring, guard: &egress.Guard{AllowPrivate: true}, gate: gate, links: links, svc: svc,
		registry: registry}
	if err := mountRoutes(t.Context(), app, parts, cfg, log); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return &testApp{app: app, gate: gate, db: db, base: "http://" + ln.Addr().String()}
}

// routes lists the mounted routes as "METHOD /path/:param" (no HEAD, no
// trailing slash).
func (a *testApp) routes() []string {
	var out []string
	for _, r := range a.app.GetRoutes(true) {
		if r.Method == fiber.MethodHead {
			continue
		}
		p := r.Path
		if len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		out = append(out, r.Method+" "+p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// addUser creates a user with uiPassword.
func (a *testApp) addUser(t *testing.T, email string, role auth.Role, scope []int64) int64 {
	t.Helper()
	u := &auth.User{Email: email, Role: role, TenantIDs: scope}
	if _, err := a.gate.CreateUser(context.Background(), u, uiPassword); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// token signs in over the API and returns a script token.
func (a *testApp) token(t *testing.T, email string) string {
	t.Helper()
	st, body := a.call(t, "POST", "/api/v1/auth/token", fmt.Sprintf(`{"email":%q,"password":%q}`, email, uiPassword), "", nil)
	var out struct{ Token string }
	if err := json.Unmarshal([]byte(body), &out); st != 200 || err != nil || out.Token == "" {
		t.Fatalf("token for %s: %d %s", email, st, body)
	}
	return out.Token
}

// call sends a JSON request (body "" sends none) with a Bearer token and
// extra headers, and returns the status and body.
func (a *testApp) call(t *testing.T, method, path, body, bearer string, hdr http.Header) (int, string) {
	t.Helper()
	st, out, _ := a.callFull(t, method, path, body, bearer, hdr)
	return st, out
}

func (a *testApp) callFull(t *testing.T, method, path, body, bearer string, hdr http.Header) (int, string, http.Header) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// createJSON POSTs or PUTs body as bearer, wants 200 or 201 and returns the number at path ("" for none).
func (a *testApp) createJSON(t *testing.T, method, path, body, bearer, at string) int64 {
	t.Helper()
	st, out := a.call(t, method, path, body, bearer, nil)
	if st != 200 && st != 201 {
		t.Fatalf("%s %s = %d %s", method, path, st, out)
	}
	if at == "" {
		return 0
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	return jsonNumberAt(t, v, at)
}

// routeIDs are the ids a route's parameters are filled with.
type routeIDs struct {
	tenant, endpoint, event, delivery, source, user int64
	meetingCode                                     string
}

// concrete fills the parameters of route path p.
func (ids routeIDs) concrete(p string) string {
	id := ids.user
	switch {
	case strings.Contains(p, "/deliveries/:id"):
		id = ids.delivery
	case strings.Contains(p, "/events/:id"):
		id = ids.event
	case strings.Contains(p, "/endpoints/:id"):
		id = ids.endpoint
	case strings.Contains(p, "/sources/:id"):
		id = ids.source
	case strings.Contains(p, "/tokens/:id"), strings.Contains(p, "/recording-links/:id"):
		id = 999999
	}
	return strings.NewReplacer(":tenant", fmt.Sprint(ids.tenant), ":endpoint", fmt.Sprint(ids.endpoint), ":id", fmt.Sprint(id),
		":version", "1", ":number", "1", ":meetingCode", ids.meetingCode, ":token", "nope", "*", "app.css").Replace(p)
}

// signedIn is one role's two ways in: a browser session (pages, with its
// CSRF token) and a script token (API).
type signedIn struct {
	email  string
	page   *pageClient
	bearer string
}

func (a *testApp) signIn(t *testing.T, email string) *signedIn {
	t.Helper()
	pc := newPageClient(t, a.base)
	pc.signIn(email)
	return &signedIn{email: email, page: pc, bearer: a.token(t, email)}
}

// send calls route path as s: the page session with its CSRF token under
// /admin, the script token elsewhere.
func (a *testApp) send(t *testing.T, s *signedIn, method, path string) (int, string) {
	t.Helper()
	if strings.HasPrefix(path, "/admin") {
		if method == "GET" {
			st, body, _ := s.page.do(method, path, nil)
			return st, body
		}
		st, body, _ := s.page.post(path, nil)
		return st, body
	}
	body := ""
	if method != "GET" {
		body = "{}"
	}
	return a.call(t, method, path, body, s.bearer, nil)
}

// TestRouteTable walks every route the real app registers (mountRoutes, as
// serve calls it) on both dialects and checks each against routeTable:
// without credentials an /api/v1 route answers 401 and an /admin page
// sends a GET to the sign-in page (401 for other methods), unless the route
// is on the allow-list (accessPublic); support and viewer get 403 from
// every configuration and management route and never 401/403 from what
// their role allows (viewers 403 from retries too); and an unsafe request
// that rides an admin's session cookie without the CSRF token is 403 on
// every gated route. A route missing from routeTable, or a row no route
// has, fails the test.
func TestRouteTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestApp(t, db)
		routes := a.routes()
		checkRouteTableCovers(t, routes)
		ids := routeTableFixtures(t, a)
		support := a.signIn(t, "support@example.com")
		viewer := a.signIn(t, "viewer@example.com")
		admin := a.signIn(t, "admin@example.com")
		anon := newPageClient(t, a.base)
		for _, route := range routes {
			decision, ok := routeTable[route]
			if !ok || decision == accessPublic {
				continue
			}
			method, pattern, _ := strings.Cut(route, " ")
			path := ids.concrete(pattern)
			checkAnonymous(t, a, anon, route, method, path)
			for _, who := range []*signedIn{support, viewer} {
				st, body := a.send(t, who, method, path)
				denied := decision == accessConfig || decision == accessManage || (decision == accessRetry && who == viewer)
				switch {
				case denied && st != http.StatusForbidden:
					t.Errorf("%s as %s = %d, want 403 (%s route): %.300s", route, who.email, st, decision, body)
				case !denied && (st == http.StatusUnauthorized || st == http.StatusForbidden || st >= 500):
					t.Errorf("%s as %s = %d, want neither 401, 403 nor 5xx (%s route): %.300s", route, who.email, st, decision, body)
				}
				if slices.Contains(endsSession, route) {
					*who = *a.signIn(t, who.email)
				}
			}
			if method != "GET" {
				checkNeedsCSRF(t, a, admin, route, method, path)
			}
		}
	})
}

// checkRouteTableCovers fails for a mounted route without a decision and a
// decision without a route.
func checkRouteTableCovers(t *testing.T, routes []string) {
	t.Helper()
	for _, r := range routes {
		if _, ok := routeTable[r]; !ok {
			t.Errorf("%s has no access decision: add it to routeTable (public, read, self, retry, config or manage)", r)
		}
	}
	for r, decision := range routeTable {
		if !slices.Contains(routes, r) {
			t.Errorf("routeTable has %s, which is not mounted: remove the row", r)
		}
		// TestAPIGate's lists say the same of /api/v1.
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		if public := decision == accessPublic; public != slices.Contains(publicRoutes, r) {
			t.Errorf("%s is %s here but public=%v in publicRoutes", r, decision, !public)
		}
		mayChange := method != "GET" && (decision == accessPublic || decision == accessSelf || decision == accessRetry)
		if method != "GET" && mayChange != slices.Contains(supportMayChange, r) {
			t.Errorf("%s is %s here but %v in supportMayChange", r, decision, !mayChange)
		}
	}
}

// checkAnonymous: no credentials, no answer.
func checkAnonymous(t *testing.T, a *testApp, anon *pageClient, route, method, path string) {
	t.Helper()
	if !strings.HasPrefix(path, "/admin") {
		if st, body := a.call(t, method, path, "{}", "", nil); st != http.StatusUnauthorized {
			t.Errorf("%s without credentials = %d, want 401: %.300s", route, st, body)
		}
		return
	}
	var form url.Values
	if method != "GET" {
		form = url.Values{}
	}
	st, _, loc := anon.do(method, path, form)
	if method == "GET" && (st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=")) {
		t.Errorf("%s without a session = %d → %q, want 303 to the sign-in page", route, st, loc)
	} else if method != "GET" && st != http.StatusUnauthorized {
		t.Errorf("%s without a session = %d, want 401", route, st)
	}
}

// checkNeedsCSRF: an admin's session cookie without the CSRF token changes
// nothing, whatever the route.
func checkNeedsCSRF(t *testing.T, a *testApp, admin *signedIn, route, method, path string) {
	t.Helper()
	u, _ := url.Parse(a.base)
	hdr := http.Header{}
	for _, c := range admin.page.http.Jar.Cookies(u) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	body := "{}"
	if strings.HasPrefix(path, "/admin") {
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
		body = "name=x"
	}
	st, out, _ := a.callFull(t, method, path, body, "", hdr)
	if st != http.StatusForbidden || !strings.Contains(out, "CSRF") {
		t.Errorf("%s with an admin's session cookie and no CSRF token = %d, want 403 naming CSRF: %.300s", route, st, out)
	}
}

// routeTableFixtures creates the users (admin, support, viewer) and, as the
// admin over the API, a tenant with an endpoint, a mapping version, an
// ingested event with its delivery and a source.
func routeTableFixtures(t *testing.T, a *testApp) routeIDs {
	t.Helper()
	ids := routeIDs{meetingCode: "m-1"}
	ids.user = a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
	a.addUser(t, "support@example.com", auth.RoleSupport, nil)
	a.addUser(t, "viewer@example.com", auth.RoleViewer, nil)
	adm := a.token(t, "admin@example.com")
	ids.tenant = a.createJSON(t, "POST", "/api/v1/tenants",
		`{"name":"Acme","source_id":"org_7234567890","endpoints":[{"url":"http://127.0.0.1:9/hook"}]}`, adm, "id")
	ids.endpoint = a.createJSON(t, "GET", fmt.Sprintf("/api/v1/tenants/%d/endpoints", ids.tenant), "", adm, "items.0.id")
	a.createJSON(t, "PUT", fmt.Sprintf("/api/v1/tenants/%d/endpoints/%d/mapping", ids.tenant, ids.endpoint),
		`{"mapping":{"mode":"passthrough"},"comment":"c"}`, adm, "")
	ids.source = a.createJSON(t, "POST", "/api/v1/sources", `{"name":"first","platform":"p1"}`, adm, "source.id")
	ids.event, ids.delivery = a.ingest(t, adm, "org_7234567890", "m-1", "Jane Doe")
	return ids
}

// ingest posts a signed evaluation event for sourceID and returns the
// event and (when it was routed) its newest delivery.
func (a *testApp) ingest(t *testing.T, adminToken, sourceID, meetingCode, candidate string) (event, delivery int64) {
	t.Helper()
	body := candidateSample(t, sourceID, meetingCode, candidate)
	st, ans := post(t, a.base, body, hmacHex(body))
	if st != 200 {
		t.Fatalf("ingest %s/%s = %d %v", sourceID, meetingCode, st, ans)
	}
	event = int64(ans["event_id"].(float64))
	if n, _ := ans["deliveries"].(float64); n == 0 {
		return event, 0
	}
	_, list := a.call(t, "GET", "/api/v1/deliveries?limit=1&meeting_code="+url.QueryEscape(meetingCode), "", adminToken, nil)
	var v any
	if err := json.Unmarshal([]byte(list), &v); err != nil {
		t.Fatal(err)
	}
	return event, jsonNumberAt(t, v, "items.0.id")
}
