package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestAdminFormWithStaleCSRFGetsErrorPage: a form on an admin page whose
// CSRF token no longer matches the session (the user signed in again in
// another tab; the page stayed open for hours) is refused with 403 and
// nothing changes, and a browser is told so on the admin UI's HTML error
// page (the form expired, reload; a link back to the page it was on, the
// current session's token in its header), not a JSON body. An htmx request
// gets the error fragment; a client asking for JSON under /admin, one
// naming no HTML (curl), and /api/v1 whatever it asks keep the JSON
// problem. Real server on loopback, both dialects.
func TestAdminFormWithStaleCSRFGetsErrorPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestApp(t, db)
		a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
		page := newPageClient(t, a.base)
		page.signIn("admin@example.com")
		page.do("GET", "/admin/tenants/new", nil)
		stale := page.csrf
		// Another tab signs in again: a new session, and the old page's token is stale.
		page.signIn("admin@example.com")
		fresh := page.csrf
		if stale == "" || stale == fresh {
			t.Fatalf("tokens: stale %q, fresh %q: want two different ones", stale, fresh)
		}
		form := url.Values{"name": {"Stale Co"}, "source_id": {"org_stale"}, "status": {"active"}, auth.CSRFField: {stale}}.Encode()
		browser := map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
			"Content-Type": "application/x-www-form-urlencoded", "Origin": a.base, "Sec-Fetch-Site": "same-origin",
			"Sec-Fetch-Mode": "navigate", "Referer": a.base + "/admin/tenants/new"}
		with := func(extra map[string]string) map[string]string {
			out := map[string]string{}
			for k, v := range browser {
				out[k] = v
			}
			for k, v := range extra {
				if v == "" {
					delete(out, k)
				} else {
					out[k] = v
				}
			}
			return out
		}
		cases := []struct {
			name, path, body string
			header           map[string]string
			wantType         string
			want, notWant    []string
		}{
			{"browser form", "/admin/tenants", form, browser, "text/html",
				[]string{"<!doctype html>", "This form has expired", "Reload the page", `href="/admin/tenants/new"`, "Nothing was changed",
					`<meta name="csrf-token" content="` + fresh + `"`}, []string{`"code"`}},
			{"browser form without a Referer", "/admin/tenants", form, with(map[string]string{"Referer": ""}), "text/html",
				[]string{"This form has expired", `href="/admin"`}, nil},
			{"browser form with another site's Referer", "/admin/tenants", form, with(map[string]string{"Referer": "https://evil.example.com/admin/x"}), "text/html",
				[]string{"This form has expired"}, []string{"evil.example.com"}},
			{"htmx", "/admin/tenants", form, with(map[string]string{"Accept": "*/*", "HX-Request": "true"}), "text/html",
				[]string{`data-testid="error"`, "This form has expired"}, []string{"<!doctype html>", `"code"`}},
			{"asks for JSON under /admin", "/admin/tenants", form, with(map[string]string{"Accept": "application/json"}), "application/json",
				[]string{`"code":"forbidden"`, "CSRF"}, []string{"<html"}},
			{"names no HTML under /admin (curl)", "/admin/tenants", form, with(map[string]string{"Accept": ""}), "application/json",
				[]string{`"code":"forbidden"`, "CSRF"}, nil},
			{"API, even from a browser", "/api/v1/tenants", `{"name":"Stale Co","source_id":"org_stale"}`,
				with(map[string]string{"Content-Type": "application/json", "X-CSRF-Token": stale}), "application/json",
				[]string{`"code":"forbidden"`, "CSRF"}, []string{"<html"}},
		}
		for _, tc := range cases {
			st, body, hdr := page.raw(t, "POST", tc.path, tc.body, tc.header)
			if st != http.StatusForbidden || !strings.HasPrefix(hdr.Get("Content-Type"), tc.wantType) {
				t.Errorf("%s: POST %s with a stale CSRF token = %d %s, want 403 %s: %.300s", tc.name, tc.path, st, hdr.Get("Content-Type"), tc.wantType, body)
			}
			wantPage(t, tc.name, st, body, http.StatusForbidden, tc.want, tc.notWant)
			if tc.wantType == "text/html" && !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src") {
				t.Errorf("%s: the error page has no CSP header", tc.name)
			}
		}
		var n int64
		if err := db.Gorm.Table("tenants").Count(&n).Error; err != nil || n != 0 {
			t.Errorf("tenants after the refused forms = %d (%v), want 0", n, err)
		}
		// The page's fresh token (what a reload gives) goes through.
		fixed := strings.Replace(form, url.QueryEscape(stale), url.QueryEscape(fresh), 1)
		if st, body, hdr := page.raw(t, "POST", "/admin/tenants", fixed, browser); st != http.StatusSeeOther {
			t.Errorf("the form again with the fresh token = %d %s: %.300s", st, hdr.Get("Location"), body)
		}
	})
}

// raw sends a request with the client's cookies and exactly these headers.
func (pc *pageClient) raw(t *testing.T, method, path, body string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, pc.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := pc.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}
