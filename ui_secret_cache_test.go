package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestSecretPagesNotStored: a page that shows a secret once must not be
// kept by the browser (back/forward cache, disk cache), or Back shows the
// secret again on a shared machine. Every admin page answers
// Cache-Control: no-store; the pages that show a secret are checked here.
func TestSecretPagesNotStored(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			_, pc := adminSignedIn(t, target.URL)
			tenantPath := createTenantPage(t, pc, "Cache Co", "org_cache")
			wantNoStore := func(what string, st int, body string, wantStatus int) {
				t.Helper()
				wantPage(t, what, st, body, wantStatus, []string{"secret-once"}, nil)
				if cc := pc.last.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
					t.Errorf("%s: Cache-Control %q, want no-store on a page showing a secret", what, cc)
				}
			}
			st, body, _ := pc.post(tenantPath+"/endpoints", url.Values{"url": {recv.URL + "/hook"}, "enabled": {"true"}})
			wantNoStore("create endpoint", st, body, http.StatusCreated)
			st, body, _ = pc.post(tenantPath+"/endpoints/1/rotate-secret", nil)
			wantNoStore("rotate the endpoint's signing secret", st, body, http.StatusOK)
			pc.post(tenantPath+"/credentials", url.Values{"inbound_secret": {"tenant-own-inbound-secret-1"}})
			st, body, _ = pc.post(tenantPath+"/rotate-secret", nil)
			wantNoStore("rotate the tenant's inbound secret", st, body, http.StatusOK)
			st, body, _ = pc.post("/admin/users", url.Values{"email": {"new@example.com"}, "role": {"viewer"}})
			wantNoStore("create a user (generated password)", st, body, http.StatusCreated)
		})
	}
}
