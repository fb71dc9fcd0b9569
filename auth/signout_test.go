package auth

import (
	"net/url"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestSignOutEndsSession signs out through the API and through the page's
// sign-out form, then replays a copy of the cookie taken before: it must be
// refused (as a cookie, as a Bearer token, and after the renewal point),
// while the same user's other session goes on.
func TestSignOutEndsSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		f.app.Post(SignOutPath, f.svc.handleSignOut) // behind the fixture's /admin gate, as main mounts it
		u := f.mustUser(t, "a@example.com", RoleSupport)
		me := func(r req) int { r.method, r.path = "GET", "/api/v1/me"; return f.do(t, r).status }
		signOuts := []struct {
			name string
			out  func(cookie, csrf string) resp
		}{
			{"api logout", func(cookie, csrf string) resp {
				return f.do(t, req{method: "POST", path: "/api/v1/auth/logout", cookie: cookie, csrf: csrf})
			}},
			{"page sign-out", func(cookie, csrf string) resp {
				return f.do(t, req{method: "POST", path: SignOutPath, cookie: cookie,
					contentType: "application/x-www-form-urlencoded", body: CSRFField + "=" + url.QueryEscape(csrf)})
			}},
		}
		for i, so := range signOuts {
			t.Run(so.name, func(t *testing.T) {
				stolen, csrf := f.login(t, u.Email)
				other, _ := f.login(t, u.Email)
				if got := me(req{cookie: stolen}); got != 200 {
					t.Fatalf("before sign-out: /me = %d, want 200", got)
				}
				if r := so.out(stolen, csrf); r.status != 204 && r.status != 303 {
					t.Fatalf("sign-out = %d %s", r.status, r.body)
				}
				if got := me(req{cookie: stolen}); got != 401 {
					t.Fatalf("the signed-out cookie: /me = %d, want 401", got)
				}
				if got := me(req{bearer: stolen}); got != 401 {
					t.Fatalf("the signed-out session as Bearer: /me = %d, want 401", got)
				}
				f.now = f.now.Add(SessionTTL/2 + 10*time.Second) // where a live session would be renewed
				if r := f.do(t, req{method: "GET", path: "/api/v1/me", cookie: stolen}); r.status != 401 || (r.cookie(SessionCookie) != nil && r.cookie(SessionCookie).Value != "") {
					t.Fatalf("the signed-out cookie past half-life: /me = %d, cookie %v; want 401 and no renewal", r.status, r.cookie(SessionCookie))
				}
				if got := me(req{cookie: other}); got != 200 {
					t.Fatalf("the user's other session: /me = %d, want 200", got)
				}
				var n int64
				if err := db.Gorm.Model(&Entry{}).Where("action = ? AND target = ?", "auth.logout", "user:"+itoa(u.ID)).Count(&n).Error; err != nil || n != int64(i+1) {
					t.Fatalf("auth.logout entries after %s = %d (%v), want %d", so.name, n, err, i+1)
				}
			})
		}
	})
}
