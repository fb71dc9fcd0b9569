package auth

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestCSRF(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		u := f.mustUser(t, "a@example.com", RoleAdmin)
		cookie, csrf := f.login(t, u.Email)
		form := "application/x-www-form-urlencoded"
		cases := []struct {
			name string
			r    req
			want int
		}{
			{name: "form post with the token field", r: req{method: "POST", path: "/api/v1/form", cookie: cookie, contentType: form, body: "csrf_token=" + url.QueryEscape(csrf)}, want: 200},
			{name: "form post without a token", r: req{method: "POST", path: "/api/v1/form", cookie: cookie, contentType: form, body: "x=1"}, want: 403},
			{name: "form post with a wrong token", r: req{method: "POST", path: "/api/v1/form", cookie: cookie, contentType: form, body: "csrf_token=" + flip(csrf)}, want: 403},
			{name: "JSON with the header", r: req{method: "POST", path: "/api/v1/auth/logout-all", cookie: cookie, csrf: csrf}, want: 204},
		}
		for _, tc := range cases[:3] {
			t.Run(tc.name, func(t *testing.T) {
				if r := f.do(t, tc.r); r.status != tc.want {
					t.Fatalf("%s = %d %s, want %d", tc.r.path, r.status, r.body, tc.want)
				}
			})
		}
		t.Run("JSON with the cookie but no header", func(t *testing.T) {
			r := f.do(t, req{method: "POST", path: "/api/v1/users", cookie: cookie, body: `{"email":"x@example.com","role":"viewer"}`})
			if r.status != 403 || !strings.Contains(r.body, "CSRF") {
				t.Fatalf("POST /users without CSRF = %d %s, want 403 naming CSRF", r.status, r.body)
			}
		})
		t.Run("GET needs no token", func(t *testing.T) {
			if r := f.do(t, req{method: "GET", path: "/api/v1/users", cookie: cookie}); r.status != 200 {
				t.Fatalf("GET /users = %d", r.status)
			}
		})
		t.Run("Bearer is exempt", func(t *testing.T) {
			tok := f.scriptToken(t, u.Email)
			if r := f.do(t, req{method: "POST", path: "/api/v1/form", bearer: tok}); r.status != 200 {
				t.Fatalf("Bearer POST = %d %s, want 200", r.status, r.body)
			}
		})
		t.Run(cases[3].name, func(t *testing.T) {
			if r := f.do(t, cases[3].r); r.status != cases[3].want {
				t.Fatalf("logout-all = %d %s", r.status, r.body)
			}
		})
	})
}

func TestSessionCookie(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		u := f.mustUser(t, "a@example.com", RoleViewer)
		r := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: jsonBody(t, credentials{Email: "A@Example.com", Password: testPassword})})
		c := r.cookie(SessionCookie)
		if r.status != 200 || c == nil || !c.HttpOnly || c.SameSite != 2 /* Lax */ || c.Secure {
			t.Fatalf("login = %d, cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", r.status, c)
		}
		me := func(cookie string) resp { return f.do(t, req{method: "GET", path: "/api/v1/me", cookie: cookie}) }
		if got := me(c.Value); got.status != 200 || got.cookie(SessionCookie) != nil {
			t.Fatalf("fresh session: %d, renewed %v; want 200 and no renewal", got.status, got.cookie(SessionCookie) != nil)
		}
		f.now = f.now.Add(SessionTTL/2 + 10*time.Second) // past the 5 s leeway too
		renewed := me(c.Value)
		nc := renewed.cookie(SessionCookie)
		if renewed.status != 200 || nc == nil || nc.Value == c.Value {
			t.Fatalf("past half-life: %d, new cookie %v; want a renewed cookie", renewed.status, nc)
		}
		f.now = f.now.Add(SessionTTL/2 + 10*time.Second) // past the 5 s leeway too
		if got := me(c.Value); got.status != 401 {
			t.Fatalf("the old cookie after expiry = %d, want 401", got.status)
		}
		if got := me(nc.Value); got.status != 200 {
			t.Fatalf("the renewed cookie = %d, want 200", got.status)
		}
		if _, _, err := f.svc.store.UpdateUser(context.Background(), u.ID, UserUpdate{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if got := me(nc.Value); got.status != 401 {
			t.Fatalf("a disabled user's cookie = %d, want 401", got.status)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.mustUser(t, "a@example.com", RoleAdmin)
		ctx := context.Background()
		bad := jsonBody(t, credentials{Email: "a@example.com", Password: "wrong password!"})
		unknown := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: jsonBody(t, credentials{Email: "nobody@example.com", Password: "wrong password!"})})
		wrong := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: bad})
		if unknown.status != 401 || wrong.status != 401 || unknown.body != wrong.body {
			t.Fatalf("unknown email: %d %s; wrong password: %d %s; want the same 401", unknown.status, unknown.body, wrong.status, wrong.body)
		}
		for i := 2; i <= AccountFailures; i++ {
			f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: bad})
		}
		good := jsonBody(t, credentials{Email: "a@example.com", Password: testPassword})
		locked := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: good})
		if locked.status != 429 || locked.header.Get("Retry-After") == "" {
			t.Fatalf("right password while locked = %d (Retry-After %q), want 429", locked.status, locked.header.Get("Retry-After"))
		}
		if _, err := f.svc.Login(ctx, "nobody@example.com", "x", "198.51.100.7"); err == nil || !strings.Contains(err.Error(), "invalid email") {
			t.Fatalf("another account from another address: %v, want the ordinary failure", err)
		}
		f.now = f.now.Add(LockoutWindow + time.Second)
		if r := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: good}); r.status != 200 {
			t.Fatalf("after the lockout window = %d %s, want 200", r.status, r.body)
		}
		for i := range AddressFailures {
			_, _ = f.svc.Login(ctx, "spray"+itoa(int64(i))+"@example.com", "x", "203.0.113.9")
		}
		if _, err := f.svc.Login(ctx, "a@example.com", testPassword, "203.0.113.9"); err == nil || !strings.Contains(err.Error(), "too many") {
			t.Fatalf("login from a spraying address: %v, want too many", err)
		}
		entries, _, err := f.svc.store.ListAudit(ctx, AuditFilter{Action: "auth.", Limit: 500})
		if err != nil || countAction(entries, "auth.login_failed") < AccountFailures+AddressFailures || countAction(entries, "auth.login") != 1 {
			t.Fatalf("audit: %d failures, %d logins (err %v)", countAction(entries, "auth.login_failed"), countAction(entries, "auth.login"), err)
		}
	})
}

func countAction(es []Entry, action string) int {
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	return n
}

func TestSetup(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tok, err := f.svc.BootstrapAdmin(ctx, "", "")
		if err != nil || !strings.HasPrefix(tok, setupPrefix) {
			t.Fatalf("BootstrapAdmin = %q, %v", tok, err)
		}
		body := func(token string) string {
			return jsonBody(t, setupBody{Token: token, Email: "Boss@Example.com", Name: "Boss", Password: testPassword})
		}
		if r := f.do(t, req{method: "GET", path: "/api/v1/auth/setup?token=" + url.QueryEscape(tok)}); r.status != 200 {
			t.Fatalf("check = %d %s", r.status, r.body)
		}
		if r := f.do(t, req{method: "POST", path: "/api/v1/auth/setup", body: body("sbs_wrong")}); r.status != 401 {
			t.Fatalf("wrong token = %d, want 401", r.status)
		}
		r := f.do(t, req{method: "POST", path: "/api/v1/auth/setup", body: body(tok)})
		if r.status != 201 || r.cookie(SessionCookie) == nil || !strings.Contains(r.body, `"role":"admin"`) || !strings.Contains(r.body, "boss@example.com") {
			t.Fatalf("setup = %d %s", r.status, r.body)
		}
		if r := f.do(t, req{method: "POST", path: "/api/v1/auth/setup", body: body(tok)}); r.status != 401 {
			t.Fatalf("token reused = %d, want 401", r.status)
		}
		if again, err := f.svc.BootstrapAdmin(ctx, "", ""); again != "" || err != nil {
			t.Fatalf("BootstrapAdmin with users = %q, %v; want nothing", again, err)
		}
	})
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		tok, _ := f.svc.BootstrapAdmin(context.Background(), "", "")
		f.now = f.now.Add(SetupTokenTTL + time.Second)
		r := f.do(t, req{method: "POST", path: "/api/v1/auth/setup", body: jsonBody(t, setupBody{Token: tok, Email: "b@example.com", Password: testPassword})})
		if r.status != 401 {
			t.Fatalf("expired setup token = %d, want 401", r.status)
		}
	})
}

func TestRequireSignIn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		u := f.mustUser(t, "a@example.com", RoleViewer)
		cookie, csrf := f.login(t, u.Email)
		cases := []struct {
			name         string
			r            req
			want         int
			wantContains string
		}{
			{name: "page without session redirects", r: req{method: "GET", path: "/admin/page?x=1"}, want: 303},
			{name: "post without session", r: req{method: "POST", path: "/admin/page"}, want: 401},
			{name: "htmx list without session", r: req{method: "GET", path: "/admin/page?x=1", header: map[string]string{"HX-Request": "true"}}, want: 401},
			{name: "htmx post without session", r: req{method: "POST", path: "/admin/page/preview",
				header: map[string]string{"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1:8080/admin/page?tab=2"}}, want: 401},
			{name: "page with session", r: req{method: "GET", path: "/admin/page", cookie: cookie}, want: 200, wantContains: "page for a@example.com"},
			{name: "form post with session and token", r: req{method: "POST", path: "/admin/page", cookie: cookie, contentType: "application/x-www-form-urlencoded", body: "csrf_token=" + url.QueryEscape(csrf)}, want: 200},
			{name: "form post with session, no token", r: req{method: "POST", path: "/admin/page", cookie: cookie, contentType: "application/x-www-form-urlencoded", body: "a=b"}, want: 403},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := f.do(t, tc.r)
				if r.status != tc.want || !strings.Contains(r.body, tc.wantContains) {
					t.Fatalf("= %d %s, want %d containing %q", r.status, r.body, tc.want, tc.wantContains)
				}
				if r.status == 303 && r.header.Get("Location") != "/login?next=%2Fadmin%2Fpage%3Fx%3D1" {
					t.Fatalf("Location = %q", r.header.Get("Location"))
				}
				// htmx would follow a 303 inside its request and swap the sign-in page in as the table.
				wantHX := map[string]string{"htmx list without session": "/login?next=%2Fadmin%2Fpage%3Fx%3D1",
					"htmx post without session": "/login?next=%2Fadmin%2Fpage%3Ftab%3D2"}[tc.name]
				if got := r.header.Get("HX-Redirect"); got != wantHX {
					t.Fatalf("HX-Redirect = %q, want %q", got, wantHX)
				}
			})
		}
	})
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/admin/tenants?x=1": "/admin/tenants?x=1", "": "/admin", "//evil.example": "/admin",
		"https://evil.example": "/admin", `/\evil.example`: "/admin", "admin": "/admin", "/": "/",
		"/\t/evil.example": "/admin", "/admin/deliveries\r\nSet-Cookie: x=1": "/admin", "/admin/a\\b": "/admin"} {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoginNeedsJSON(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.mustUser(t, "a@example.com", RoleAdmin)
		form := "email=a%40example.com&password=" + url.QueryEscape(testPassword)
		for _, path := range []string{"/api/v1/auth/login", "/api/v1/auth/token"} {
			r := f.do(t, req{method: "POST", path: path, body: form, contentType: "application/x-www-form-urlencoded"})
			if r.status != 415 || r.cookie(SessionCookie) != nil {
				t.Fatalf("form post to %s = %d (cookie %v), want 415 and no session", path, r.status, r.cookie(SessionCookie))
			}
		}
	})
}

func TestBootstrapAdminFromEnvironment(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		replicas := []*fixture{newFixture(t, db), newFixture(t, db), newFixture(t, db)}
		errs := make(chan error, len(replicas))
		for _, r := range replicas { // replicas starting together on one database
			go func() {
				tok, err := r.svc.BootstrapAdmin(ctx, "Root@Example.com", testPassword)
				if tok != "" {
					err = fmt.Errorf("got a setup token %q with admin credentials", tok)
				}
				errs <- err
			}()
		}
		for range replicas {
			if err := <-errs; err != nil {
				t.Fatalf("BootstrapAdmin: %v", err)
			}
		}
		if n, err := replicas[0].svc.store.CountUsers(ctx); n != 1 || err != nil {
			t.Fatalf("%d users (err %v), want 1", n, err)
		}
		if _, err := replicas[1].svc.Login(ctx, "root@example.com", testPassword, "192.0.2.1"); err != nil {
			t.Fatalf("login as the bootstrapped admin: %v", err)
		}
		if _, err := replicas[2].svc.BootstrapAdmin(ctx, "x@example.com", "short"); err != nil {
			t.Fatalf("with users present BootstrapAdmin should do nothing, got %v", err)
		}
	})
}
