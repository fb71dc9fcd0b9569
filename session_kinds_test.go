package main

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestCredentialKindsDontMix: the session cookie is the only credential
// that needs the CSRF token, and nothing else passes for it. An API token
// or a script token in the cookie is no session (anonymous); a CSRF token
// counts only for the session it was made for (not another user's, not the
// same user's other session) and only in the header or the form field (not
// the query string); and a request carrying both a cookie and a Bearer
// credential acts as the Bearer credential alone: a bad one is 401, a
// viewer's cannot borrow the admin cookie's rights. Real app, real HTTP,
// both dialects.
func TestCredentialKindsDontMix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestApp(t, db)
		a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
		a.addUser(t, "viewer@example.com", auth.RoleViewer, nil)
		adminScript := a.token(t, "admin@example.com")
		viewerScript := a.token(t, "viewer@example.com")
		_, out := a.call(t, "POST", "/api/v1/tokens", `{"name":"ci","role":"admin"}`, adminScript, nil)
		m := regexp.MustCompile(`"token":"(sbt_[^"]+)"`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("API token: %s", out)
		}
		apiToken := m[1]
		admin1, admin2, viewer := a.signIn(t, "admin@example.com"), a.signIn(t, "admin@example.com"), a.signIn(t, "viewer@example.com")
		cookieOf := func(s *signedIn) string {
			u, _ := url.Parse(a.base)
			for _, c := range s.page.http.Jar.Cookies(u) {
				if c.Name == auth.SessionCookie {
					return c.Name + "=" + c.Value
				}
			}
			t.Fatalf("%s has no session cookie", s.email)
			return ""
		}
		form := func(extra string) string { return "name=Mixed&source_id=org_mixed" + extra }
		controlForm := "name=Mixed+4&source_id=org_mixed_4&" + auth.CSRFField + "=" + url.QueryEscape(admin1.page.csrf)
		type req struct {
			name, method, path, body, cookie, bearer, csrf string
			form                                           bool
			want                                           int
		}
		cases := []req{
			{name: "API token as the cookie: no session", method: "GET", path: "/api/v1/me", cookie: auth.SessionCookie + "=" + apiToken, want: 401},
			{name: "API token as the cookie on a page", method: "GET", path: "/admin/tenants", cookie: auth.SessionCookie + "=" + apiToken, want: 303},
			{name: "script token as the cookie: no session", method: "GET", path: "/api/v1/me", cookie: auth.SessionCookie + "=" + adminScript, want: 401},
			{name: "script token as the cookie, unsafe", method: "POST", path: "/admin/tenants", body: form(""), form: true,
				cookie: auth.SessionCookie + "=" + adminScript, want: 401},
			{name: "another user's CSRF token", method: "POST", path: "/admin/tenants", body: form(""), form: true,
				cookie: cookieOf(admin1), csrf: viewer.page.csrf, want: 403},
			{name: "the same user's other session's CSRF token", method: "POST", path: "/api/v1/tenants", body: `{"name":"Mixed","source_id":"org_mixed"}`,
				cookie: cookieOf(admin1), csrf: admin2.page.csrf, want: 403},
			{name: "CSRF token in the query string", method: "POST", path: "/admin/tenants?" + auth.CSRFField + "=" + url.QueryEscape(admin1.page.csrf),
				body: form(""), form: true, cookie: cookieOf(admin1), want: 403},
			{name: "CSRF token inside a JSON body", method: "POST", path: "/api/v1/tenants",
				body: fmt.Sprintf(`{"name":"Mixed","source_id":"org_mixed",%q:%q}`, auth.CSRFField, admin1.page.csrf), cookie: cookieOf(admin1), want: 403},
			{name: "cookie and a bad Bearer token: the Bearer token decides", method: "GET", path: "/api/v1/me", cookie: cookieOf(admin1),
				bearer: "sbt_not-a-token", want: 401},
			{name: "admin cookie and a viewer's Bearer token: the viewer acts", method: "POST", path: "/api/v1/tenants",
				body: `{"name":"Mixed","source_id":"org_mixed"}`, cookie: cookieOf(admin1), bearer: viewerScript, want: 403},
			{name: "admin cookie and a viewer's Bearer token on a page post", method: "POST", path: "/admin/tenants", body: form(""), form: true,
				cookie: cookieOf(admin1), bearer: viewerScript, want: 403},
			// The controls: the right token in the header or the form works, and a Bearer token needs none.
			{name: "own CSRF token in the form", method: "POST", path: "/admin/tenants", body: controlForm,
				form: true, cookie: cookieOf(admin1), want: 303},
			{name: "own CSRF token in the header", method: "POST", path: "/api/v1/tenants", body: `{"name":"Mixed 2","source_id":"org_mixed_2"}`,
				cookie: cookieOf(admin1), csrf: admin1.page.csrf, want: 201},
			{name: "API token without CSRF", method: "POST", path: "/api/v1/tenants", body: `{"name":"Mixed 3","source_id":"org_mixed_3"}`,
				bearer: apiToken, want: 201},
		}
		for _, tc := range cases {
			hdr := http.Header{}
			if tc.cookie != "" {
				hdr.Set("Cookie", tc.cookie)
			}
			if tc.csrf != "" {
				hdr.Set(auth.CSRFHeader, tc.csrf)
			}
			body := tc.body
			if tc.form {
				hdr.Set("Content-Type", "application/x-www-form-urlencoded")
				hdr.Set("Accept", "text/html")
			}
			st, got, h := a.callFull(t, tc.method, tc.path, body, tc.bearer, hdr)
			if st != tc.want {
				t.Errorf("%s: %s %s = %d, want %d: %.300s", tc.name, tc.method, tc.path, st, tc.want, got)
			}
			if tc.want == 303 && tc.method == "GET" && !strings.HasPrefix(h.Get("Location"), "/login?next=") {
				t.Errorf("%s: Location %q, want the sign-in page", tc.name, h.Get("Location"))
			}
		}
	})
}
