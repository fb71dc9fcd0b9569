package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestUsersCLI(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			db := "--database-url=" + target.URL
			stdin = strings.NewReader("a password from stdin\n")
			t.Cleanup(func() { stdin = nil })
			out := runCLI(t, "users", "create", db, "--email", "Ops@Example.com", "--role", "admin", "--name", "Ops", "--password-stdin")
			if !strings.Contains(out, "Created user 1 (ops@example.com, admin)") || strings.Contains(out, "Password") {
				t.Fatalf("create with stdin: %q", out)
			}
			t1 := strings.TrimSpace(runCLI(t, "tenants", "create", db, "--name", "One", "--source-id", "org_users_1"))
			t2 := strings.TrimSpace(runCLI(t, "tenants", "create", db, "--name", "Two", "--source-id", "org_users_2"))
			out = runCLI(t, "users", "create", db, "--email", "desk@example.com", "--role", "support", "--tenants", t1+","+t2)
			m := regexp.MustCompile(`Password \(shown once\): (\S+)`).FindStringSubmatch(out)
			if m == nil || len(m[1]) < auth.MinPasswordLen {
				t.Fatalf("create with a generated password: %q", out)
			}
			if out := runCLI(t, "users", "set-role", db, "--email", "DESK@example.com", "--role", "viewer"); !strings.Contains(out, "role viewer, disabled false. Signed out everywhere.") {
				t.Fatalf("set-role to a new role: %q, want the user signed out", out)
			}
			if out := runCLI(t, "users", "set-role", db, "--email", "desk@example.com", "--role", "viewer"); strings.Contains(out, "Signed out") {
				t.Fatalf("set-role to the same role: %q, want the user left signed in", out)
			}
			runCLI(t, "users", "disable", db, "--email", "desk@example.com")
			list := runCLI(t, "users", "list", db)
			if !regexp.MustCompile(`desk@example.com\s+viewer\s+`+t1+","+t2+`\s+disabled`).MatchString(list) || !strings.Contains(list, "ops@example.com") {
				t.Fatalf("list:\n%s", list)
			}
			for _, args := range [][]string{
				{"users", "create", db, "--email", "ops@example.com", "--role", "viewer"}, // taken, any case
				{"users", "create", db, "--email", "x@example.com", "--role", "root"},     // bad role
				{"users", "create", db, "--email", "x@example.com", "--role", "viewer", "--tenants", "a"},
				{"users", "disable", db, "--email", "ops@example.com"},                        // last admin
				{"users", "set-role", db, "--email", "nobody@example.com", "--role", "admin"}, // unknown
				{"users", "frobnicate"},
			} {
				if err := run(context.Background(), args, io.Discard); err == nil {
					t.Errorf("switchboard %s succeeded, want an error", strings.Join(args[:2], " "))
				}
			}
			stdin = strings.NewReader("short\n")
			if err := run(context.Background(), []string{"users", "create", db, "--email", "s@example.com", "--role", "viewer", "--password-stdin"}, io.Discard); err == nil {
				t.Error("a short password from stdin was accepted")
			}
		})
	}
}

// TestUsersCLITenantsMustExist: users create --tenants naming an id no
// tenant has (ids are handed out in order, so it would grant the next
// tenant created) fails with a message naming every unknown id, exits
// non-zero and writes nothing (no user, no audit entry), on both dialects,
// as the API's 422 does (TestScopeNamesOnlyExistingTenants).
func TestUsersCLITenantsMustExist(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			db := "--database-url=" + target.URL
			id := strings.TrimSpace(runCLI(t, "tenants", "create", db, "--name", "Only", "--source-id", "org_only_cli"))
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				t.Fatalf("tenants create printed %q", id)
			}
			next, later := strconv.FormatInt(n+1, 10), strconv.FormatInt(n+7, 10)
			out, err := runCLIErr("users", "create", db, "--email", "scoped@example.com", "--role", "support", "--tenants", id+","+next+","+later+","+next)
			if err == nil || exitCode(err) == 0 {
				t.Fatalf("users create --tenants naming tenants %s and %s (none yet) = %q, %v; want an error and a non-zero exit", next, later, out, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "no tenant has id "+next+", "+later+" ") || strings.Contains(msg, id+",") || !strings.Contains(msg, "nothing was written") {
				t.Errorf("error = %q, want it to name %s and %s only, once each", msg, next, later)
			}
			if strings.Contains(out, "Created") || strings.Contains(out, "Password") {
				t.Errorf("refused create printed %q", out)
			}
			gdb := testdb.Open(t, target.URL).Gorm
			if _, err := auth.NewStore(gdb).FindUserByEmail(context.Background(), "scoped@example.com"); err == nil {
				t.Error("the user was created with tenants that do not exist")
			}
			var audits int64
			if err := gdb.Raw("SELECT COUNT(*) FROM audit_log WHERE action = 'user.create'").Scan(&audits).Error; err != nil || audits != 0 {
				t.Errorf("audit entries for user.create = %d (%v), want 0", audits, err)
			}
			out = runCLI(t, "users", "create", db, "--email", "scoped@example.com", "--role", "support", "--tenants", id)
			if !strings.Contains(out, "Created user") {
				t.Errorf("users create --tenants %s (exists) = %q", id, out)
			}
		})
	}
}

var setupLinkRE = regexp.MustCompile(`"setup_url":"[^"]*(/setup\?token=[^"]+)"`)

// TestFirstRun: with no users the log carries a one-time setup link that
// creates the first admin; with SWITCHBOARD_ADMIN_EMAIL/_PASSWORD the admin
// exists at start and the password never reaches the log.
func TestFirstRun(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name+"/setup link", func(t *testing.T) {
			base, logs := startServer(t, target.URL)
			m := setupLinkRE.FindStringSubmatch(logs.String())
			if m == nil {
				t.Fatalf("no setup link in the log:\n%s", logs)
			}
			token, _ := url.QueryUnescape(strings.TrimPrefix(m[1], "/setup?token="))
			if res := httpGet(t, base+m[1]); res != 200 {
				t.Fatalf("GET setup link = %d", res)
			}
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar}
			form := url.Values{"token": {token}, "email": {"first@example.com"}, "password": {"first admin password"}}
			res, err := browser.PostForm(base+"/setup", form)
			if err != nil || res.StatusCode != 201 {
				t.Fatalf("POST /setup = %v %v", res.StatusCode, err)
			}
			var session struct {
				CSRFToken string `json:"csrf_token"`
			}
			_ = json.NewDecoder(res.Body).Decode(&session)
			res.Body.Close()
			checkBrowserCSRF(t, browser, base, session.CSRFToken)
			if got := httpGet(t, base+"/api/v1/me"); got != 401 {
				t.Fatalf("GET /api/v1/me without credentials = %d, want 401", got)
			}
			req, _ := http.NewRequest("GET", base+"/api/v1/users", nil)
			req.Header.Set("Authorization", "Bearer "+adminBearer(t, target.URL, base))
			res, err = http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("GET /api/v1/users as admin over a real listener = %v %v", res.StatusCode, err)
			}
			res.Body.Close()
		})
		t.Run(target.Name+"/admin from the environment", func(t *testing.T) {
			const pw = "environment admin password"
			t.Setenv("SWITCHBOARD_ADMIN_EMAIL", "env@example.com")
			t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", pw)
			base, logs := startServer(t, freshURL(t, target.Name))
			body := `{"email":"env@example.com","password":"` + pw + `"}`
			res, err := http.Post(base+"/api/v1/auth/token", "application/json", strings.NewReader(body))
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("token for the environment admin = %v %v", res.StatusCode, err)
			}
			res.Body.Close()
			if strings.Contains(logs.String(), pw) || strings.Contains(logs.String(), "setup_url") {
				t.Fatalf("log holds the admin password or a setup link:\n%s", logs)
			}
		})
	}
}

// checkBrowserCSRF posts with the session cookie over a real connection:
// without the CSRF token the post is refused, with it it passes.
func checkBrowserCSRF(t *testing.T, browser *http.Client, base, csrf string) {
	t.Helper()
	for _, tc := range []struct {
		token string
		want  int
	}{{"", 403}, {"wrong", 403}, {csrf, 201}} {
		req, _ := http.NewRequest("POST", base+"/api/v1/users", strings.NewReader(`{"email":"desk@example.com","role":"support"}`))
		req.Header.Set("Content-Type", "application/json")
		if tc.token != "" {
			req.Header.Set("X-CSRF-Token", tc.token)
		}
		res, err := browser.Do(req)
		if err != nil || res.StatusCode != tc.want {
			t.Fatalf("POST /api/v1/users with the cookie and CSRF token %q = %v %v, want %d", tc.token, res.StatusCode, err, tc.want)
		}
		res.Body.Close()
	}
}

// freshURL returns a new empty database of the named dialect.
func freshURL(t *testing.T, dialect string) string {
	t.Helper()
	if dialect == "postgres" {
		return testdb.NewPostgresURL(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "switchboard.db")
}

func httpGet(t *testing.T, u string) int {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(res.Body)
	res.Body.Close()
	return res.StatusCode
}
