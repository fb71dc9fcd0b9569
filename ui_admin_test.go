package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// pageClient is a browser stand-in: a cookie jar, no redirect following,
// and the CSRF token of the last page it read.
type pageClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
	// header is sent with every request (e.g. Sec-Fetch-Site).
	header http.Header
	// last holds the headers of the last response.
	last http.Header
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

func newPageClient(t *testing.T, base string) *pageClient {
	jar, _ := cookiejar.New(nil)
	return &pageClient{t: t, base: base, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request with Accept: text/html and returns status, body and Location.
func (pc *pageClient) do(method, path string, form url.Values) (int, string, string) {
	pc.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, pc.base+path, body)
	for k, v := range pc.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := pc.http.Do(req)
	if err != nil {
		pc.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	pc.last = res.Header
	if m := csrfMeta.FindSubmatch(b); m != nil {
		pc.csrf = string(m[1])
	}
	if res.StatusCode < 300 && !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src") {
		pc.t.Errorf("%s %s: no CSP header", method, path)
	}
	return res.StatusCode, string(b), res.Header.Get("Location")
}

// post sends a form with the page's CSRF token.
func (pc *pageClient) post(path string, form url.Values) (int, string, string) {
	pc.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set(auth.CSRFField, pc.csrf)
	return pc.do(http.MethodPost, path, form)
}

func (pc *pageClient) signIn(email string) {
	pc.t.Helper()
	st, _, loc := pc.do(http.MethodPost, "/login", url.Values{"email": {email}, "password": {uiPassword}, "next": {"/admin/tenants"}})
	if st != http.StatusSeeOther || loc != "/admin/tenants" {
		pc.t.Fatalf("sign in %s: %d → %q", email, st, loc)
	}
	pc.do(http.MethodGet, "/admin/tenants", nil)
}

// adminSignedIn starts a server on dbURL (with extra flags) whose first
// admin is admin@example.com, and returns its URL and a page client signed in as it.
func adminSignedIn(t *testing.T, dbURL string, extra ...string) (string, *pageClient) {
	t.Helper()
	t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", uiPassword)
	base, _ := startServer(t, dbURL, append([]string{"--admin-email", "admin@example.com"}, extra...)...)
	pc := newPageClient(t, base)
	pc.signIn("admin@example.com")
	return base, pc
}

func wantPage(t *testing.T, what string, st int, body string, wantStatus int, has, hasNot []string) {
	t.Helper()
	if st != wantStatus {
		t.Errorf("%s: status %d, want %d", what, st, wantStatus)
	}
	for _, s := range has {
		if !strings.Contains(body, s) {
			t.Errorf("%s: page lacks %q", what, s)
		}
	}
	for _, s := range hasNot {
		if strings.Contains(body, s) {
			t.Errorf("%s: page shows %q", what, s)
		}
	}
}

// TestAdminPagesRoles renders each admin page for each role on the real
// server (both dialects): status, key content, hostile strings escaped,
// secrets shown once, and every edit refused to support and viewer.
func TestAdminPagesRoles(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", uiPassword)
			base, _ := startServer(t, target.URL, "--admin-email", "admin@example.com")
			store := auth.NewStore(testdb.Open(t, target.URL).Gorm)
			for _, u := range []*auth.User{{Email: "support@example.com", Role: auth.RoleSupport}, {Email: "viewer@example.com", Role: auth.RoleViewer}} {
				if _, err := store.CreateUserWithPassword(context.Background(), u, uiPassword); err != nil {
					t.Fatal(err)
				}
			}
			anon := newPageClient(t, base)
			st, _, loc := anon.do(http.MethodGet, "/admin/tenants", nil)
			if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
				t.Errorf("anonymous page: %d → %q, want 303 to the sign-in page", st, loc)
			}
			st, _, _ = anon.do(http.MethodPost, "/admin/tenants", url.Values{"name": {"x"}})
			wantPage(t, "anonymous post", st, "", http.StatusUnauthorized, nil, nil)
			st, body, _ := anon.do(http.MethodPost, "/login", url.Values{"email": {"admin@example.com"}, "password": {"wrong password!!"}})
			wantPage(t, "wrong password", st, body, http.StatusUnauthorized, []string{`value="admin@example.com"`, "form-error"}, nil)
			anon.header = http.Header{"Sec-Fetch-Site": {"cross-site"}}
			st, _, _ = anon.do(http.MethodPost, "/login", url.Values{"email": {"admin@example.com"}, "password": {uiPassword}})
			wantPage(t, "cross-site sign-in form (login CSRF)", st, "", http.StatusForbidden, nil, nil)

			tenantPath, endpointPath := adminFlow(t, newPageClient(t, base), recv.URL)
			for _, email := range []string{"support@example.com", "viewer@example.com"} {
				readOnlyFlow(t, newPageClient(t, base), email, tenantPath, endpointPath)
			}
		})
	}
}

const hostile = `<script>alert("x")</script>`

// adminFlow creates a tenant and an endpoint through the forms.
func adminFlow(t *testing.T, pc *pageClient, recvURL string) (tenantPath, endpointPath string) {
	pc.signIn("admin@example.com")
	st, body, _ := pc.do(http.MethodGet, "/admin/tenants", nil)
	wantPage(t, "admin tenants", st, body, 200, []string{"New tenant", `data-testid="current-role">admin`}, nil)
	st, _, _ = pc.do(http.MethodPost, "/admin/tenants", url.Values{"name": {"x"}, "source_id": {"y"}})
	wantPage(t, "post without CSRF", st, "", http.StatusForbidden, nil, nil)
	st, body, _ = pc.post("/admin/tenants", url.Values{"name": {""}, "source_id": {"org-kept"}})
	wantPage(t, "empty name", st, body, http.StatusUnprocessableEntity, []string{`id="tenant-name-error"`, `value="org-kept"`}, nil)
	st, _, loc := pc.post("/admin/tenants", url.Values{"name": {hostile}, "source_id": {"org-hostile"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/tenants/") || !strings.HasSuffix(loc, "?done=tenant-created") {
		t.Fatalf("create tenant: %d → %q", st, loc)
	}
	tenantPath, _, _ = strings.Cut(loc, "?")
	st, body, _ = pc.do(http.MethodGet, loc, nil)
	wantPage(t, "tenant page", st, body, 200, []string{"&lt;script&gt;", "tenant-actions", "new-endpoint", "Tenant created."}, []string{hostile})
	st, body, _ = pc.do(http.MethodGet, tenantPath+"?done="+url.QueryEscape(hostile), nil)
	wantPage(t, "unknown done key", st, body, 200, nil, []string{`data-testid="flash"`})
	st, body, _ = pc.post(tenantPath+"/endpoints", url.Values{"url": {"ftp://nope"}})
	wantPage(t, "bad endpoint URL", st, body, http.StatusUnprocessableEntity, []string{`id="endpoint-url-error"`, `value="ftp://nope"`}, nil)
	st, body, _ = pc.post(tenantPath+"/endpoints", url.Values{"url": {recvURL + "/hook"}, "enabled": {"true"},
		"auth_type": {"bearer"}, "auth_secret": {"outbound-token-123"}})
	wantPage(t, "create endpoint", st, body, http.StatusCreated, []string{"secret-once", "whsec_"}, []string{"outbound-token-123"})
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(body)
	endpointPath = tenantPath + "/endpoints/1"
	st, body, _ = pc.do(http.MethodGet, endpointPath, nil)
	wantPage(t, "endpoint page", st, body, 200, []string{"stored — leave empty"}, []string{secret, "outbound-token-123"})
	// No mapping yet: the empty rule table says it forwards events unchanged, and the preview shows that.
	st, body, _ = pc.do(http.MethodGet, endpointPath+"/mapping", nil)
	wantPage(t, "new endpoint's mapping editor", st, body, 200, []string{"rules-empty-hint", "forwards each event unchanged", "&#34;meetingCode&#34;"}, []string{"version-table"})
	st, body, _ = pc.post(endpointPath+"/mapping/preview", url.Values{"mode": {"rules"}, "rule_target": {"who"},
		"rule_source": {"data.candidateName"}, "rule_op": {"upper"}, "rule_args": {""}, "sample": {"evaluation"}})
	wantPage(t, "mapping preview", st, body, 200, []string{"preview-output", "&#34;who&#34;"}, []string{"<header"})
	st, _, loc = pc.post(endpointPath+"/mapping", url.Values{"mode": {"rules"}, "rule_target": {"who"},
		"rule_source": {"data.candidateName"}, "rule_op": {""}, "rule_args": {""}})
	if st != http.StatusSeeOther || loc != endpointPath+"/mapping?done=mapping-saved" {
		t.Errorf("save mapping: %d → %q", st, loc)
	}
	st, body, _ = pc.post(endpointPath+"/mapping", url.Values{"mode": {"rules"}, "rule_target": {"x"}, "rule_source": {"data.a"}, "rule_op": {"nosuchop"}})
	wantPage(t, "bad mapping", st, body, http.StatusUnprocessableEntity, []string{"form-error", "nosuchop"}, nil)
	st, body, _ = pc.do(http.MethodGet, endpointPath+"/mapping", nil)
	wantPage(t, "mapping editor", st, body, 200, []string{"version-table", "mapping-save", `value="who"`}, nil)
	pc.post(endpointPath+"/mapping", url.Values{"mode": {"expression"}, "expression": {"{name: .data.candidateName}"}})
	st, body, _ = pc.do(http.MethodGet, endpointPath+"/mapping/diff?from=1&to=2", nil)
	wantPage(t, "mapping diff", st, body, 200, []string{"mapping-diff", `class="del"`, `class="add"`, "candidateName"}, nil)

	st, body, _ = pc.post(endpointPath+"/mapping/preset", url.Values{"preset": {"passthrough"}})
	wantPage(t, "load the passthrough preset", st, body, 200, []string{`value="passthrough" checked`}, nil)
	st, body, _ = pc.post(endpointPath+"/mapping/preview", url.Values{"mode": {"rules"}, "keep_unmapped": {"true"},
		"rule_target": {"who"}, "rule_source": {"=\"fixed\""}, "sample": {"evaluation"}})
	wantPage(t, "keep unmapped fields", st, body, 200, []string{"&#34;who&#34;: &#34;fixed&#34;", "&#34;candidateName&#34;"}, nil)

	// A real event of this tenant shows up in the preview picker and previews.
	ev, err := webhooks.Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	ev = []byte(strings.Replace(string(ev), "org_7234567890", "org-hostile", 1))
	if st, ans := post(t, pc.base, ev, hmacHex(ev)); st >= 300 {
		t.Fatalf("post event: %d %v", st, ans)
	}
	st, body, _ = pc.do(http.MethodGet, endpointPath+"/mapping", nil)
	wantPage(t, "editor with a real event", st, body, 200, []string{`value="event:1"`, "interview.evaluation"}, nil)
	st, body, _ = pc.post(endpointPath+"/mapping/preview", url.Values{"mode": {"expression"}, "expression": {"{n: .data.candidateName}"}, "sample": {"event:1"}})
	wantPage(t, "preview of a real event", st, body, 200, []string{"stored event #1", "&#34;n&#34;"}, []string{"preview-errors"})
	manageFlow(t, pc)
	return tenantPath, endpointPath
}

// manageFlow: sources, users, API tokens and the audit log, as an admin.
func manageFlow(t *testing.T, pc *pageClient) {
	st, body, _ := pc.post("/admin/sources", url.Values{"name": {""}})
	wantPage(t, "source without name", st, body, http.StatusUnprocessableEntity, []string{`id="source-name-error"`}, nil)
	st, body, _ = pc.post("/admin/sources", url.Values{"name": {hostile}})
	wantPage(t, "create source", st, body, http.StatusCreated, []string{"secret-once", "&lt;script&gt;"}, []string{hostile})
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9+/=]+`).FindString(body)
	st, body, _ = pc.do(http.MethodGet, "/admin/sources", nil)
	wantPage(t, "sources", st, body, 200, []string{"source-table"}, []string{secret, "secret-once"})
	st, body, _ = pc.post("/admin/users", url.Values{"email": {"new@example.com"}, "name": {hostile}, "role": {"viewer"}})
	wantPage(t, "create user", st, body, http.StatusCreated, []string{"secret-once", "Password for new@example.com"}, []string{hostile})
	st, body, _ = pc.post("/admin/users", url.Values{"email": {"not-an-email"}, "role": {"viewer"}})
	wantPage(t, "bad user", st, body, http.StatusUnprocessableEntity, []string{`value="not-an-email"`}, nil)
	st, body, _ = pc.post("/admin/tokens", url.Values{"name": {"ci"}, "role": {"viewer"}})
	wantPage(t, "create token", st, body, http.StatusCreated, []string{"secret-once", "sbt_"}, nil)
	token := regexp.MustCompile(`sbt_[A-Za-z0-9_\-]+`).FindString(body)
	st, body, _ = pc.do(http.MethodGet, "/admin/users", nil)
	wantPage(t, "users", st, body, 200, []string{"user-table", "token-table", "new@example.com"}, []string{token, "secret-once"})
	st, body, _ = pc.do(http.MethodGet, "/admin/audit?action=tenant.", nil)
	wantPage(t, "audit", st, body, 200, []string{"audit-row", "tenant.create", "audit.csv?action=tenant."}, []string{hostile, "source.create"})
	// A filter change swaps only the table over htmx: the CSV link must come with it.
	if pc.header == nil {
		pc.header = http.Header{}
	}
	pc.header.Set("HX-Request", "true")
	st, body, _ = pc.do(http.MethodGet, "/admin/audit?action=user.", nil)
	pc.header.Del("HX-Request")
	wantPage(t, "audit over htmx", st, body, 200, []string{"audit-table", "audit.csv?action=user."}, []string{"audit.csv?action=tenant.", "<html"})
	st, _, _ = pc.do(http.MethodGet, "/admin/audit?tenant=abc", nil)
	wantPage(t, "audit bad filter", st, "", http.StatusUnprocessableEntity, nil, nil)
}

// readOnlyFlow: support and viewer read every page without edit controls,
// and each edit they force (with a valid CSRF token) is refused.
func readOnlyFlow(t *testing.T, pc *pageClient, email, tenantPath, endpointPath string) {
	pc.signIn(email)
	st, body, _ := pc.do(http.MethodGet, "/admin/tenants", nil)
	wantPage(t, email+" tenants", st, body, 200, []string{"&lt;script&gt;"}, []string{"New tenant", hostile})
	st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
	wantPage(t, email+" tenant", st, body, 200, []string{"org-hostile"}, []string{"tenant-actions", "new-endpoint", "tenant-form"})
	st, body, _ = pc.do(http.MethodGet, endpointPath+"/mapping", nil)
	wantPage(t, email+" mapping", st, body, 200, []string{"mapping-editor"}, []string{"mapping-save", "preset-picker"})
	st, _, _ = pc.do(http.MethodGet, "/admin/tenants/new", nil)
	wantPage(t, email+" new tenant form", st, "", http.StatusForbidden, nil, nil)
	if pc.csrf == "" {
		t.Fatal("no CSRF token on the page")
	}
	for _, path := range []string{"/admin/sources", "/admin/users", "/admin/users/1", "/admin/audit"} {
		st, _, _ := pc.do(http.MethodGet, path, nil)
		wantPage(t, email+" GET "+path, st, "", http.StatusForbidden, nil, nil)
	}
	for _, path := range []string{"/admin/sources", "/admin/sources/1/rotate", "/admin/users", "/admin/users/1", "/admin/users/1/disable", "/admin/tokens",
		"/admin/tenants", tenantPath, tenantPath + "/credentials", tenantPath + "/delete", tenantPath + "/pause", tenantPath + "/disable", tenantPath + "/rotate-secret",
		tenantPath + "/endpoints", endpointPath, endpointPath + "/rotate-secret", endpointPath + "/delete", endpointPath + "/mapping",
		endpointPath + "/mapping/restore/1"} {
		st, body, _ := pc.post(path, url.Values{"name": {"x"}, "source_id": {"y"}, "url": {"https://example.com"}})
		wantPage(t, email+" POST "+path, st, body, http.StatusForbidden, nil, []string{"whsec_"})
	}
	// Every role has its own account page, linked from the header.
	st, body, _ = pc.do(http.MethodGet, "/admin/account", nil)
	wantPage(t, email+" account", st, body, 200, []string{"password-form", email, "account-link"}, nil)
}

// TestSetupPage: the one-time link from the log shows the first-admin form
// to a browser, a short password re-renders it with the error (422), and a
// good form creates the admin and signs them in.
func TestSetupPage(t *testing.T) {
	base, logs := startServer(t, testdb.Targets(t)[0].URL)
	m := regexp.MustCompile(`/setup\?token=(sbs_[A-Za-z0-9_\-+/=%]+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", logs)
	}
	link := "/setup?token=" + m[1]
	pc := newPageClient(t, base)
	st, body, _ := pc.do(http.MethodGet, "/setup?token=sbs_wrong", nil)
	wantPage(t, "wrong token", st, body, http.StatusUnauthorized, []string{"form-error"}, nil)
	st, body, _ = pc.do(http.MethodGet, link, nil)
	wantPage(t, "setup page", st, body, 200, []string{`data-testid="setup"`, "Create the first admin"}, nil)
	st, body, _ = pc.do(http.MethodPost, link, url.Values{"name": {hostile}, "email": {"first@example.com"}, "password": {"short"}})
	wantPage(t, "short password", st, body, http.StatusUnprocessableEntity, []string{`id="password-error"`, `value="first@example.com"`, "&lt;script&gt;"}, []string{hostile})
	st, _, loc := pc.do(http.MethodPost, link, url.Values{"name": {"First"}, "email": {"first@example.com"}, "password": {uiPassword}})
	if st != http.StatusSeeOther || loc != "/admin" {
		t.Fatalf("setup: %d → %q", st, loc)
	}
	st, body, _ = pc.do(http.MethodGet, "/admin/tenants", nil)
	wantPage(t, "signed in after setup", st, body, 200, []string{`data-testid="current-role">admin`, ">First<"}, nil)
	st, _, loc = pc.post("/admin/logout", nil)
	if st != http.StatusSeeOther || loc != "/login" {
		t.Errorf("sign out: %d → %q", st, loc)
	}
	st, _, _ = pc.do(http.MethodGet, "/admin/tenants", nil)
	wantPage(t, "after sign-out", st, "", http.StatusSeeOther, nil, nil)
}
