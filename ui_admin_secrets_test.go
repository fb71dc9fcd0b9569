package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestAdminPagesEndpointReview covers the endpoint and tenant pages as a
// reviewer drove them: URL placeholders checked against Boooply's samples
// (live check and save), the hints, results that show a secret once naming
// the resource's GET page, GETs on post-only addresses, the tenant's inbound
// secret rotation, and the read-only note for support.
func TestAdminPagesEndpointReview(t *testing.T) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			base, pc := adminSignedIn(t, target.URL)
			tenantPath := createTenantPage(t, pc, "Review Co", "org_review")
			endpointPath := endpointFormFlow(t, pc, tenantPath, recv.URL)
			postOnlyFlow(t, pc, tenantPath, endpointPath)
			inboundRotateFlow(t, pc, tenantPath)

			store := auth.NewStore(testdb.Open(t, target.URL).Gorm)
			if _, err := store.CreateUserWithPassword(context.Background(), &auth.User{Email: "support@example.com", Role: auth.RoleSupport}, uiPassword); err != nil {
				t.Fatal(err)
			}
			st, body, _ := pc.do(http.MethodGet, endpointPath, nil)
			wantPage(t, "admin endpoint page", st, body, 200, nil, []string{"read-only-note"})
			support := newPageClient(t, base)
			support.signIn("support@example.com")
			for _, path := range []string{endpointPath, endpointPath + "/mapping"} {
				st, body, _ := support.do(http.MethodGet, path, nil)
				wantPage(t, "support "+path, st, body, 200, []string{`data-testid="read-only-note"`, "only an admin can change it"}, nil)
			}
		})
	}
}

// endpointFormFlow checks the new-endpoint form and creates an endpoint;
// it returns the endpoint's page.
func endpointFormFlow(t *testing.T, pc *pageClient, tenantPath, recvURL string) string {
	st, body, _ := pc.do(http.MethodGet, tenantPath+"/endpoints/new", nil)
	wantPage(t, "new endpoint form", st, body, 200, []string{"{{data.meetingCode}}", "{{correlation.candidate_id}}", "http:// or https://",
		"None checked: interview.transcript, interview.evaluation, interview.scores, interview.recording (the defaults)."},
		[]string{"{{meetingCode}}", "HTTPS URL", "endpoint-deliveries"})

	check := func(u string) string {
		t.Helper()
		st, body, _ := pc.post(tenantPath+"/endpoints/check-url", url.Values{"url": {u}})
		if st != http.StatusOK {
			t.Fatalf("check %s: status %d", u, st)
		}
		return body
	}
	body = check(recvURL + "/i/{{meetingCode}}")
	wantPage(t, "live check of {{meetingCode}}", 200, body, 200,
		[]string{"{{meetingCode}} is not a field of Boooply events; did you mean {{data.meetingCode}}?"}, []string{"can be called"})
	body = check(recvURL + "/i/{{data.meetingCode}}")
	wantPage(t, "live check of {{data.meetingCode}}", 200, body, 200, []string{"can be called"}, []string{"url-check-note"})
	body = check(recvURL + "/c/{{correlation.candidate_id}}/notes")
	wantPage(t, "live check of a correlation placeholder", 200, body, 200,
		[]string{"can be called", `data-testid="url-check-note"`, "{{correlation.candidate_id}} come from this tenant&#39;s correlation records"}, nil)

	st, body, _ = pc.post(tenantPath+"/endpoints", url.Values{"url": {recvURL + "/i/{{meetingCode}}"}, "enabled": {"true"}})
	wantPage(t, "save {{meetingCode}}", st, body, http.StatusUnprocessableEntity,
		[]string{`id="endpoint-url-error"`, "did you mean {{data.meetingCode}}?"}, []string{"secret-once"})

	st, body, _ = pc.post(tenantPath+"/endpoints", url.Values{"url": {recvURL + "/i/{{data.meetingCode}}"}, "enabled": {"true"}})
	endpointPath := tenantPath + "/endpoints/1"
	wantPage(t, "create endpoint", st, body, http.StatusCreated, []string{"secret-once", `data-replace-url="` + endpointPath + `"`}, nil)
	st, body, _ = pc.post(endpointPath+"/rotate-secret", nil)
	wantPage(t, "rotate signing secret", st, body, http.StatusOK, []string{"secret-once", `data-replace-url="` + endpointPath + `"`}, nil)

	tenantID := strings.TrimPrefix(tenantPath, "/admin/tenants/")
	st, body, _ = pc.do(http.MethodGet, endpointPath, nil)
	wantPage(t, "endpoint page links", st, body, 200, []string{
		`data-testid="endpoint-deliveries"`, `href="/admin/deliveries?tenant=` + tenantID + `&amp;endpoint=1"`,
		`data-testid="endpoint-mapping-editor"`, `href="` + endpointPath + `/mapping"`}, []string{"secret-once", "data-replace-url"})
	return endpointPath
}

// postOnlyFlow: a GET on an address that only takes a form post (a reload
// of a secret page, a copied address) goes to the resource's page.
func postOnlyFlow(t *testing.T, pc *pageClient, tenantPath, endpointPath string) {
	for path, want := range map[string]string{
		tenantPath + "/endpoints":       tenantPath,
		tenantPath + "/rotate-secret":   tenantPath,
		tenantPath + "/credentials":     tenantPath,
		tenantPath + "/pause":           tenantPath,
		endpointPath + "/rotate-secret": endpointPath,
		endpointPath + "/delete":        endpointPath,
	} {
		st, body, loc := pc.do(http.MethodGet, path, nil)
		if st != http.StatusSeeOther || loc != want {
			t.Errorf("GET %s: %d → %q (%.80s), want 303 → %s", path, st, loc, body, want)
		}
	}
	st, _, _ := pc.do(http.MethodGet, "/admin/tenants/abc/rotate-secret", nil)
	wantPage(t, "GET rotate-secret of a tenant id that is not a number", st, "", http.StatusNotFound, nil, nil)
}

// inboundRotateFlow: a tenant without an own inbound secret has nothing to
// rotate (a new one would refuse every webhook Boooply signs with the
// platform secret); with one, the confirmation says the old one keeps
// verifying for a day, then is refused.
func inboundRotateFlow(t *testing.T, pc *pageClient, tenantPath string) {
	st, body, _ := pc.do(http.MethodGet, tenantPath, nil)
	wantPage(t, "tenant without own inbound secret", st, body, 200,
		[]string{"Only if Boooply signs this organization&#39;s webhooks with a secret of their own"}, []string{"tenant-rotate"})
	st, body, _ = pc.post(tenantPath+"/rotate-secret", nil)
	wantPage(t, "rotate without own secret", st, body, http.StatusConflict, []string{"no inbound secret of its own"}, []string{"whsec_"})
	st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
	wantPage(t, "still no own inbound secret", st, body, 200, nil, []string{"tenant-clear-inbound", "tenant-rotate"})

	pc.post(tenantPath+"/credentials", url.Values{"inbound_secret": {"tenant-own-inbound-secret-1"}})
	st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
	wantPage(t, "tenant with own inbound secret", st, body, 200,
		[]string{`data-testid="tenant-rotate"`, "the current secret are still accepted for 24 hours, then refused (401)"}, nil)
	st, body, _ = pc.post(tenantPath+"/rotate-secret", nil)
	wantPage(t, "rotate own inbound secret", st, body, http.StatusOK, []string{"secret-once", `data-replace-url="` + tenantPath + `"`,
		"signed with the previous secret are accepted until"}, nil)
}
