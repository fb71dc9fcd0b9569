package auth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestAccountPasswordChange: any signed-in user changes their own password on
// the account page; mistakes re-render the form naming the field; success
// ends every session and script token of theirs and sends them to sign in.
func TestAccountPasswordChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		AccountPageRoutes(f.app.Group("/admin", f.svc.Middleware(), RequireSignIn("/login")), f.svc)
		u := f.mustUser(t, "viewer@example.com", RoleViewer)
		cookie, csrf := f.login(t, u.Email)
		script := f.scriptToken(t, u.Email)
		form := func(current, next, confirm string) resp {
			v := url.Values{"current_password": {current}, "new_password": {next}, "confirm_password": {confirm}}
			return f.do(t, req{method: "POST", path: "/admin/account/password", body: v.Encode(), cookie: cookie, csrf: csrf,
				contentType: "application/x-www-form-urlencoded"})
		}

		if r := f.do(t, req{method: "GET", path: "/admin/account", cookie: cookie}); r.status != 200 ||
			!strings.Contains(r.body, "viewer@example.com") || !strings.Contains(r.body, `name="current_password"`) {
			t.Fatalf("account page: %d\n%s", r.status, r.body)
		}
		const next = "a brand new long passphrase"
		for _, tc := range []struct{ name, current, next, confirm, want string }{
			{"wrong current", "not it at all", next, next, "is not your current password"},
			{"too short", testPassword, "short", "short", "at least"},
			{"unchanged", testPassword, testPassword, testPassword, "is your current password"},
			{"confirmation differs", testPassword, next, next + "!", "does not match the new password"},
		} {
			if r := form(tc.current, tc.next, tc.confirm); r.status != 422 || !strings.Contains(r.body, tc.want) || strings.Contains(r.body, tc.next) {
				t.Errorf("%s: %d, want 422 naming %q without echoing the password\n%s", tc.name, r.status, tc.want, r.body)
			}
		}
		// Still signed in with the old password after the refusals.
		if r := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: script}); r.status != 200 {
			t.Fatalf("script token after refusals: %d", r.status)
		}

		r := form(testPassword, next, next)
		if r.status != 303 || r.header.Get("Location") != "/login?done=password-changed" {
			t.Fatalf("change: %d %q, want 303 to sign in", r.status, r.header.Get("Location"))
		}
		if r := f.do(t, req{method: "GET", path: "/api/v1/me", cookie: cookie}); r.status != 401 {
			t.Errorf("the old session after the change: %d, want 401", r.status)
		}
		if r := f.do(t, req{method: "GET", path: "/api/v1/me", bearer: script}); r.status != 401 {
			t.Errorf("the script token after the change: %d, want 401", r.status)
		}
		if r := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: jsonBody(t, credentials{Email: u.Email, Password: testPassword})}); r.status != 401 {
			t.Errorf("the old password: %d, want 401", r.status)
		}
		if r := f.do(t, req{method: "POST", path: "/api/v1/auth/login", body: jsonBody(t, credentials{Email: u.Email, Password: next})}); r.status != 200 {
			t.Errorf("the new password: %d, want 200", r.status)
		}
		var n int64
		if err := db.Gorm.Raw("SELECT COUNT(*) FROM audit_log WHERE action = 'user.password_change' AND target = ?", "user:"+itoa(u.ID)).Scan(&n).Error; err != nil || n != 1 {
			t.Errorf("audit entries: %d (%v), want 1", n, err)
		}
	})
}

// TestAccountPasswordLockout: wrong current passwords count as failed
// sign-ins, so a session left open can't be used to guess the password.
func TestAccountPasswordLockout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		u := f.mustUser(t, "support@example.com", RoleSupport)
		var err error
		for range AccountFailures + 1 {
			err = f.svc.ChangePassword(t.Context(), u.ID, "192.0.2.1", "wrong guess", "another long passphrase", "another long passphrase")
		}
		if err == nil || !strings.Contains(err.Error(), "too many") {
			t.Fatalf("after %d wrong guesses: %v, want a lockout", AccountFailures+1, err)
		}
		if err := f.svc.ChangePassword(t.Context(), u.ID, "192.0.2.1", testPassword, "another long passphrase", "another long passphrase"); err == nil {
			t.Fatal("the right password during the lockout was accepted")
		}
	})
}
