package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestAdminPagesGaps covers the admin forms added after the first UI: the
// tenant form prefilled from the Unrouted shortcut, the tenant's write-only
// Boooply credentials, deleting a tenant (refused once it has events), and
// the endpoint form's HTTP method, health probe and mutual-TLS fields, and
// a user's role and tenant scope, and the mapping editor's operation lists,
// JSON mode (per-event-type rule sets kept) and preset notes.
func TestAdminPagesGaps(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			_, pc := adminSignedIn(t, target.URL)
			tenantGapsFlow(t, pc)
			endpointGapsFlow(t, pc)
			usersGapsFlow(t, pc)
			mappingGapsFlow(t, pc)
		})
	}
}

// createTenantPage posts the new-tenant form and returns the tenant's path.
func createTenantPage(t *testing.T, pc *pageClient, name, sourceID string) string {
	t.Helper()
	st, _, loc := pc.post("/admin/tenants", url.Values{"name": {name}, "source_id": {sourceID}})
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/tenants/") {
		t.Fatalf("create tenant %s: %d → %q", name, st, loc)
	}
	path, _, _ := strings.Cut(loc, "?")
	return path
}

func tenantGapsFlow(t *testing.T, pc *pageClient) {
	st, body, _ := pc.do(http.MethodGet, "/admin/tenants/new?source_id="+url.QueryEscape(`org_"new"&co`), nil)
	wantPage(t, "new tenant from the Unrouted shortcut", st, body, 200, []string{`value="org_&#34;new&#34;&amp;co"`}, nil)

	tenantPath := createTenantPage(t, pc, "Gap Co", "org_gap")
	st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
	wantPage(t, "tenant credentials form", st, body, 200, []string{`data-testid="tenant-credentials"`, "not set", "tenant-delete"}, nil)
	st, body, _ = pc.post(tenantPath+"/credentials", url.Values{})
	wantPage(t, "empty credentials form", st, body, http.StatusUnprocessableEntity, []string{"form-error", "Enter a secret"}, nil)
	st, body, _ = pc.post(tenantPath+"/credentials", url.Values{"boooply_api_key": {"two\nlines"}})
	wantPage(t, "bad API key", st, body, http.StatusUnprocessableEntity, []string{`id="tenant-boooply-key-error"`}, []string{"two\nlines"})
	const inbound, apiKey = "tenant-own-inbound-secret-1", "bpk_live_organization_key"
	st, _, loc := pc.post(tenantPath+"/credentials", url.Values{"inbound_secret": {inbound}, "boooply_api_key": {apiKey}})
	if st != http.StatusSeeOther || loc != tenantPath+"?done=tenant-credentials-saved" {
		t.Fatalf("save credentials: %d → %q", st, loc)
	}
	st, body, _ = pc.do(http.MethodGet, loc, nil)
	wantPage(t, "credentials set", st, body, 200, []string{"Credentials saved", "tenant-clear-inbound", "tenant-clear-boooply"},
		[]string{inbound, apiKey, "not set"})
	pc.post(tenantPath+"/credentials", url.Values{"clear_inbound_secret": {"true"}})
	st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
	wantPage(t, "inbound secret cleared", st, body, 200, []string{"not set", "tenant-clear-boooply"}, []string{"tenant-clear-inbound", apiKey})
	st, body, _ = pc.do(http.MethodGet, "/admin/audit?action=tenant.credentials", nil)
	wantPage(t, "credentials audit", st, body, 200, []string{"tenant.credentials", "cleared"}, []string{inbound, apiKey})

	// A tenant with an event on record can't be deleted; one without can.
	busy := createTenantPage(t, pc, "Busy Co", "org_7234567890")
	ev, err := webhooks.Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	if st, ans := post(t, pc.base, ev, hmacHex(ev)); st >= 300 {
		t.Fatalf("post event: %d %v", st, ans)
	}
	pc.do(http.MethodGet, busy, nil)
	st, body, _ = pc.post(busy+"/delete", nil)
	wantPage(t, "delete a tenant with events", st, body, http.StatusConflict, []string{"disable it instead"}, nil)
	st, _, loc = pc.post(tenantPath+"/delete", nil)
	if st != http.StatusSeeOther || loc != "/admin/tenants?done=tenant-deleted" {
		t.Fatalf("delete tenant: %d → %q", st, loc)
	}
	st, _, _ = pc.do(http.MethodGet, tenantPath, nil)
	wantPage(t, "deleted tenant", st, "", http.StatusNotFound, nil, nil)
}

// endpointGapsFlow sets method, probe URL and a client certificate with its
// write-only key through the endpoint form.
func endpointGapsFlow(t *testing.T, pc *pageClient) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	tenantPath := createTenantPage(t, pc, "TLS Co", "org_tls")
	pc.do(http.MethodGet, tenantPath+"/endpoints/new", nil)
	cert, key := testCert(t)
	_, otherKey := testCert(t)
	form := func(extra url.Values) url.Values {
		v := url.Values{"url": {recv.URL + "/hook"}, "enabled": {"true"}, "method": {"PUT"}, "probe_url": {recv.URL + "/health"},
			"client_cert_pem": {cert}, "client_key_pem": {key}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	st, body, _ := pc.post(tenantPath+"/endpoints", form(url.Values{"method": {"GET"}}))
	wantPage(t, "GET method", st, body, http.StatusUnprocessableEntity, []string{`id="endpoint-method-error"`}, []string{"PRIVATE KEY-----\n"})
	st, body, _ = pc.post(tenantPath+"/endpoints", form(url.Values{"client_key_pem": {otherKey}}))
	wantPage(t, "key of another certificate", st, body, http.StatusUnprocessableEntity, []string{`id="endpoint-client-key-pem-error"`}, []string{otherKey[40:80]})
	st, body, _ = pc.post(tenantPath+"/endpoints", form(nil))
	wantPage(t, "endpoint with mTLS", st, body, http.StatusCreated, []string{"secret-once"}, []string{key[40:80]})
	endpointPath := tenantPath + "/endpoints/1"
	certLine := strings.Split(cert, "\n")[1]
	st, body, _ = pc.do(http.MethodGet, endpointPath, nil)
	wantPage(t, "endpoint page with mTLS", st, body, 200, []string{`<option value="PUT" selected`, `value="` + recv.URL + `/health"`, certLine,
		"endpoint-clear-client-key", "stored — leave empty"}, []string{key[40:80]})
	// Saving without a key keeps it; the clear box removes it.
	st, _, _ = pc.post(endpointPath, form(url.Values{"client_key_pem": {""}, "method": {"PATCH"}}))
	wantPage(t, "save keeping the key", st, "", http.StatusSeeOther, nil, nil)
	st, body, _ = pc.do(http.MethodGet, endpointPath, nil)
	wantPage(t, "key kept", st, body, 200, []string{`<option value="PATCH" selected`, "endpoint-clear-client-key"}, nil)
	pc.post(endpointPath, form(url.Values{"client_key_pem": {""}, "clear_client_key": {"true"}}))
	st, body, _ = pc.do(http.MethodGet, endpointPath, nil)
	wantPage(t, "key cleared", st, body, 200, []string{"not set"}, []string{"endpoint-clear-client-key"})
}

// testCert returns a fresh self-signed certificate and its key, PEM-encoded.
func testCert(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "switchboard-ui-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

// usersGapsFlow creates a user limited to one tenant, then changes role and
// scope on the edit page (refusing an admin limited to tenants and leaving
// no admin).
func usersGapsFlow(t *testing.T, pc *pageClient) {
	tenantPath := createTenantPage(t, pc, "Scoped Co", "org_scoped")
	tenantID := strings.TrimPrefix(tenantPath, "/admin/tenants/")
	st, body, _ := pc.do(http.MethodGet, "/admin/users", nil)
	wantPage(t, "users page with scope checkboxes", st, body, 200, []string{`name="tenant_ids" value="` + tenantID + `"`, "Scoped Co"}, nil)
	st, body, _ = pc.post("/admin/users", url.Values{"email": {"scoped@example.com"}, "role": {"support"}, "tenant_ids": {tenantID}})
	wantPage(t, "create a scoped user", st, body, http.StatusCreated, []string{"secret-once", "tenants Scoped Co"}, nil)
	editURL := func(email string) string {
		m := regexp.MustCompile(`(?s)` + regexp.QuoteMeta(email) + `</span></td>.*?href="(/admin/users/\d+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no edit link for %s", email)
		}
		return m[1]
	}
	userPath, adminPath := editURL("scoped@example.com"), editURL("admin@example.com")
	st, body, _ = pc.do(http.MethodGet, userPath, nil)
	wantPage(t, "edit user page", st, body, 200, []string{"user-edit-form", `<option value="support" selected`,
		`value="` + tenantID + `" checked`}, nil)
	st, body, _ = pc.post(userPath, url.Values{"role": {"admin"}, "tenant_ids": {tenantID}})
	wantPage(t, "admin limited to a tenant", st, body, http.StatusUnprocessableEntity, []string{`id="user-edit-tenants-error"`, "an admin cannot"}, nil)
	st, body, _ = pc.post(userPath, url.Values{"role": {"viewer"}, "tenant_ids": {"abc"}})
	wantPage(t, "bad tenant id", st, body, http.StatusUnprocessableEntity, []string{`id="user-edit-tenants-error"`}, nil)
	st, _, loc := pc.post(userPath, url.Values{"role": {"viewer"}})
	if st != http.StatusSeeOther || loc != "/admin/users?done=user-saved" {
		t.Fatalf("save user: %d → %q", st, loc)
	}
	st, body, _ = pc.do(http.MethodGet, userPath, nil)
	wantPage(t, "user saved", st, body, 200, []string{`<option value="viewer" selected`}, []string{`value="` + tenantID + `" checked`})
	st, body, _ = pc.post(adminPath, url.Values{"role": {"viewer"}})
	wantPage(t, "demote the last admin", st, body, http.StatusUnprocessableEntity, []string{"form-error"}, nil)
	st, body, _ = pc.do(http.MethodGet, "/admin/audit?action=user.", nil)
	wantPage(t, "user audit", st, body, 200, []string{"user.update", "viewer"}, nil)
}

// mappingGapsFlow: a rule with several operations round-trips through the
// table, a by_event mapping opens (and saves) as JSON instead of being
// dropped, and a preset shows what it expects of the endpoint.
func mappingGapsFlow(t *testing.T, pc *pageClient) {
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)
	tenantPath := createTenantPage(t, pc, "Map Co", "org_map")
	pc.do(http.MethodGet, tenantPath+"/endpoints/new", nil)
	if st, _, _ := pc.post(tenantPath+"/endpoints", url.Values{"url": {recv.URL}, "enabled": {"true"}}); st != http.StatusCreated {
		t.Fatalf("create endpoint: %d", st)
	}
	_, page, _ := pc.do(http.MethodGet, tenantPath, nil)
	ed := regexp.MustCompile(`/admin/tenants/\d+/endpoints/\d+/mapping`).FindString(page)
	rule := url.Values{"mode": {"rules"}, "rule_target": {"who"}, "rule_source": {"data.candidateName"}, "rule_op": {"upper"},
		"rule_args": {""}, "rule_more": {"truncate 6 … | default n/a"}, "sample": {"evaluation"}}
	st, body, _ := pc.post(ed+"/preview", rule)
	wantPage(t, "preview with two more operations", st, body, 200, []string{"&#34;who&#34;: &#34;JANE …&#34;"}, []string{"preview-errors"})
	if st, _, loc := pc.post(ed, rule); st != http.StatusSeeOther {
		t.Fatalf("save rule with ops: %d → %q", st, loc)
	}
	st, body, _ = pc.do(http.MethodGet, ed, nil)
	wantPage(t, "ops list shown", st, body, 200, []string{`name="rule_more" value="truncate 6 … | default n/a"`}, []string{"mapping-note"})
	bad := url.Values{"mode": {"rules"}, "rule_target": {"x"}, "rule_source": {"data.a"}, "rule_op": {""}, "rule_more": {"upper | nosuchop"}}
	st, body, _ = pc.post(ed, bad)
	wantPage(t, "unknown op in the list", st, body, http.StatusUnprocessableEntity, []string{"form-error", "nosuchop"}, nil)
	// Arguments are read as the usage shows them; a refused row is named and
	// marked as shown (row 2 here: the blank row 1 counts).
	scale := url.Values{"mode": {"rules"}, "rule_target": {"", "rating", "decision"}, "rule_source": {"", "data.overallRating", "data.recommendation"},
		"rule_op": {"", "scale", "map"}, "rule_args": {"", "1,5,0,100", "PASS=hire *=reject"}, "rule_more": {"", "", ""}, "sample": {"evaluation"}}
	st, body, _ = pc.post(ed, scale)
	wantPage(t, "comma-separated scale", st, body, http.StatusUnprocessableEntity, []string{
		"rule 2, operation 1: scale takes 4 arguments, got 1 (1,5,0,100); usage: scale A B C D.",
		`<tr data-testid="rule-row" class="rule-invalid">`, `aria-invalid="true" aria-describedby="rule-2-error"`,
		`<li id="preview-error-1" data-rule="2" data-rule-part="args">`}, []string{"rules[0]", "rules[1]"})
	scale["rule_args"] = []string{"", "1 5 0 100", "PASS=hire *=reject"}
	st, body, _ = pc.post(ed+"/preview", scale)
	wantPage(t, "scale and map as their usage reads", st, body, 200, []string{"&#34;rating&#34;: 50", "&#34;decision&#34;: &#34;hire&#34;"},
		[]string{"preview-errors"})
	st, body, _ = pc.post(ed+"/preset", url.Values{"preset": {"flat-scorecard"}})
	wantPage(t, "flat scorecard in the rule table", st, body, 200, []string{`value="rules" checked`, `value="&#34;; &#34;"`,
		`name="rule_more" value="omit_if_empty"`}, []string{"mapping-note"})

	byEvent := `{"mode":"rules","by_event":{"interview.evaluation":{"rules":[{"target":"a","from":"data.candidateName","ops":["trim","upper"]}]},"*":{"keep_unmapped":true}}}`
	st, body, _ = pc.post(ed+"/preview", url.Values{"mode": {"json"}, "mapping_json": {byEvent}, "sample": {"evaluation"}})
	wantPage(t, "JSON preview", st, body, 200, []string{"&#34;a&#34;: &#34;JANE DOE&#34;"}, []string{"preview-errors"})
	st, body, _ = pc.post(ed, url.Values{"mode": {"json"}, "mapping_json": {`{"mode":"rules",`}})
	wantPage(t, "broken JSON", st, body, http.StatusUnprocessableEntity, []string{"form-error", `{&#34;mode&#34;:&#34;rules&#34;,`}, nil)
	if st, _, loc := pc.post(ed, url.Values{"mode": {"json"}, "mapping_json": {byEvent}}); st != http.StatusSeeOther {
		t.Fatalf("save JSON: %d → %q", st, loc)
	}
	st, body, _ = pc.do(http.MethodGet, ed, nil)
	wantPage(t, "by_event opens as JSON", st, body, 200, []string{`value="json" checked`, "mapping-note", "per-event-type", "&#34;by_event&#34;",
		"&#34;interview.evaluation&#34;"}, nil)
	st, body, _ = pc.post(ed+"/preset", url.Values{"preset": {"kombo-assessment-result"}})
	wantPage(t, "preset notes", st, body, 200, []string{`data-testid="preset-note"`, "Event types: interview.evaluation", "HTTP method: PUT",
		"URL: https://api.kombo.dev/"}, nil)
}
