package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
)

const testPassword = "correct horse battery staple"

// lockedBuffer collects log output written from handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fixture is a Service over a real database with an app that mounts Routes
// behind Middleware, the way main does.
type fixture struct {
	db   *database.DB
	svc  *Service
	app  *fiber.App
	ring *secrets.Keyring
	logs *lockedBuffer
	now  time.Time
}

func newFixture(t testing.TB, db *database.DB, previous ...*secrets.Keyring) *fixture {
	t.Helper()
	f := &fixture{db: db, ring: newRing(t), logs: &lockedBuffer{}, now: time.Now()}
	log := slog.New(slog.NewJSONHandler(f.logs, nil))
	f.svc = NewService(db.Gorm, NewKeys(f.ring, previous...), log, "")
	f.svc.now = func() time.Time { return f.now }
	f.svc.store.now = f.svc.now
	f.svc.limit.now = f.svc.now
	f.app = fiber.New(fiber.Config{ErrorHandler: testErrorHandler(log)})
	Routes(f.app.Group("/api/v1", f.svc.Middleware()), f.svc)
	f.app.Get("/api/v1/open", func(c *fiber.Ctx) error { return c.SendString("ok") })
	f.app.Post("/api/v1/form", f.svc.Middleware(), func(c *fiber.Ctx) error {
		if _, err := Require(c, PermRead); err != nil {
			return err
		}
		return c.SendString("posted")
	})
	admin := f.app.Group("/admin", f.svc.Middleware(), RequireSignIn("/login"))
	admin.Get("/page", func(c *fiber.Ctx) error { return c.SendString("page for " + FromCtx(c).Email) })
	admin.Post("/page", func(c *fiber.Ctx) error { return c.SendString("saved") })
	return f
}

func newRing(t testing.TB) *secrets.Keyring {
	t.Helper()
	s, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := secrets.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return secrets.NewKeyring(k)
}

// testErrorHandler maps problems to statuses like main's handler does.
func testErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p, ok := problem.As(err)
		if !ok {
			log.Error("Request failed.", "error", err)
			return c.Status(500).JSON(fiber.Map{"code": "internal", "message": "internal error"})
		}
		if p.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, itoa(int64(p.RetryAfter)))
		}
		return c.Status(problem.Status(p.Code)).JSON(p)
	}
}

// mustUser creates a user with testPassword.
func (f *fixture) mustUser(t testing.TB, email string, role Role, tenants ...int64) *User {
	t.Helper()
	u := &User{Email: email, Name: strings.Split(email, "@")[0], Role: role}
	if len(tenants) > 0 {
		u.TenantIDs = tenants
	}
	if _, err := f.svc.CreateUser(context.Background(), u, testPassword); err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

// req is one request of a scenario.
type req struct {
	method, path, body string
	bearer, cookie     string
	csrf, contentType  string
	header             map[string]string // more request headers (HX-Request, …)
}

type resp struct {
	status  int
	body    string
	header  http.Header
	cookies []*http.Cookie
}

func (f *fixture) do(t testing.TB, r req) resp {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	switch {
	case r.contentType != "":
		hr.Header.Set("Content-Type", r.contentType)
	case r.body != "":
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.cookie != "" {
		hr.AddCookie(&http.Cookie{Name: SessionCookie, Value: r.cookie})
	}
	if r.csrf != "" {
		hr.Header.Set(CSRFHeader, r.csrf)
	}
	res, err := f.app.Test(hr, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: string(b), header: res.Header, cookies: res.Cookies()}
}

func (r resp) cookie(name string) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// login signs in through the API and returns the session cookie and CSRF token.
func (f *fixture) login(t testing.TB, email string) (cookie, csrf string) {
	t.Helper()
	r := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: jsonBody(t, credentials{Email: email, Password: testPassword})})
	if r.status != 200 || r.cookie(SessionCookie) == nil {
		t.Fatalf("login %s: %d %s", email, r.status, r.body)
	}
	var out sessionBody
	mustDecode(t, r.body, &out)
	return r.cookie(SessionCookie).Value, out.CSRFToken
}

// scriptToken gets a Bearer JWT from /auth/token.
func (f *fixture) scriptToken(t testing.TB, email string) string {
	t.Helper()
	r := f.do(t, req{method: "POST", path: "/api/v1/auth/token", body: jsonBody(t, credentials{Email: email, Password: testPassword})})
	if r.status != 200 {
		t.Fatalf("token %s: %d %s", email, r.status, r.body)
	}
	var out struct{ Token string }
	mustDecode(t, r.body, &out)
	return out.Token
}

func jsonBody(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustDecode(t testing.TB, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}
