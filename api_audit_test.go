package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// auditRow is one mutating /api/v1 call by the admin and the audit entry it
// must leave. Placeholders ({T}, {E}, {D}, {EV}, {S}, {A} from roleFixtures,
// and names captured from earlier answers) are expanded in every field.
type auditRow struct {
	method, path, body string
	prep               string // SQL run first, so the action has something to act on
	wantStatus         int
	action, target     string
	tenant             string // "" = no tenant
	capture            map[string]string
	noUser             bool // a failed sign-in names no user
}

// auditSecrets are plaintext secrets the table sends; the answers' once-shown
// secrets are collected as the table runs.
const (
	auditInbound    = "inbound-plaintext-secret-6f1d2a"
	auditAPIKey     = "boooply-plaintext-apikey-9c3e7b"
	auditAuthSecret = "bearer-plaintext-secret-41aa0e"
	auditSourceSec  = "source-plaintext-secret-b27d55"
	auditUserPass   = "user-plaintext-password-d83f10"
)

var auditRows = []auditRow{
	{method: "POST", path: "/tenants", body: `{"name":"Doomed","source_id":"org_doomed","endpoints":[{"url":"http://127.0.0.1:9/d"}]}`, wantStatus: 201,
		action: "tenant.create", target: "tenant:{NT}", tenant: "{NT}", capture: map[string]string{"NT": "id"}},
	{method: "POST", path: "/tenants/import", body: `{"tenants":[{"name":"Bulk","source_id":"org_bulk","endpoints":[{"url":"http://127.0.0.1:9/b"}]}]}`, wantStatus: 201,
		action: "tenant.create", target: "tenant:{IT}", tenant: "{IT}", capture: map[string]string{"IT": "tenants.0.id"}},
	{method: "PATCH", path: "/tenants/{T}", body: `{"notes":"audited","inbound_secret":"` + auditInbound + `","boooply_api_key":"` + auditAPIKey + `"}`,
		wantStatus: 200, action: "tenant.update", target: "tenant:{T}", tenant: "{T}"},
	{method: "POST", path: "/tenants/{T}/pause", wantStatus: 200, action: "tenant.pause", target: "tenant:{T}", tenant: "{T}"},
	{method: "POST", path: "/tenants/{T}/resume", wantStatus: 200, action: "tenant.resume", target: "tenant:{T}", tenant: "{T}"},
	{method: "POST", path: "/tenants/{NT}/disable", wantStatus: 200, action: "tenant.disable", target: "tenant:{NT}", tenant: "{NT}"},
	{method: "POST", path: "/tenants/{T}/deliver-held", body: `{}`, wantStatus: 200, action: "unrouted.deliver_held", target: "tenant:{T}", tenant: "{T}"},
	{method: "POST", path: "/tenants/{T}/endpoints", body: `{"url":"http://127.0.0.1:9/extra"}`, wantStatus: 201,
		action: "endpoint.create", target: "endpoint:{NE}", tenant: "{T}", capture: map[string]string{"NE": "id"}},
	{method: "PATCH", path: "/tenants/{T}/endpoints/{NE}", body: `{"auth_type":"bearer","auth_secret":"` + auditAuthSecret + `"}`,
		wantStatus: 200, action: "endpoint.update", target: "endpoint:{NE}", tenant: "{T}"},
	{method: "POST", path: "/tenants/{T}/endpoints/{NE}/rotate-secret", body: `{}`, wantStatus: 200, action: "endpoint.rotate_secret", target: "endpoint:{NE}", tenant: "{T}"},
	{method: "PUT", path: "/tenants/{T}/endpoints/{E}/mapping", body: `{"mapping":{"mode":"passthrough"},"comment":"c"}`, wantStatus: 201,
		action: "mapping.save", target: "endpoint:{E}", tenant: "{T}"},
	{method: "POST", path: "/tenants/{T}/endpoints/{E}/mapping/restore", body: `{"version":1}`, wantStatus: 201, action: "mapping.restore", target: "endpoint:{E}", tenant: "{T}"},
	{method: "PUT", path: "/tenants/{T}/correlations/m-1", body: `{"attributes":{"candidate_id":"1"}}`, wantStatus: 200, action: "correlation.put", target: "correlation:m-1", tenant: "{T}"},
	{method: "POST", path: "/tenants/{T}/correlations", body: `{"records":{"m-2":{"candidate_id":"2"}}}`, wantStatus: 200, action: "correlation.bulk_put", target: "tenant:{T}", tenant: "{T}"},
	{method: "DELETE", path: "/tenants/{T}/correlations/m-2", wantStatus: 204, action: "correlation.delete", target: "correlation:m-2", tenant: "{T}"},
	{method: "POST", path: "/deliveries/{D}/retry", prep: "UPDATE deliveries SET status = 'failed' WHERE id = {D}", wantStatus: 202,
		action: "delivery.retry", target: "delivery:{D}", tenant: "{T}"},
	{method: "POST", path: "/deliveries/bulk-retry", body: `{"tenant_id":{T}}`, prep: "UPDATE deliveries SET status = 'failed' WHERE id = {D}", wantStatus: 202,
		action: "delivery.bulk_retry", target: "tenant:{T}", tenant: "{T}"},
	{method: "POST", path: "/events/{EV}/replay", body: `{"endpoint_id":{E}}`, prep: "UPDATE deliveries SET status = 'delivered' WHERE id = {D}", wantStatus: 202,
		action: "event.replay", target: "event:{EV}", tenant: "{T}"},
	{method: "POST", path: "/deliveries/test", body: `{"tenant_id":{T},"endpoint_id":{E}}`, wantStatus: 202, action: "delivery.test", target: "endpoint:{E}", tenant: "{T}"},
	{method: "POST", path: "/endpoints/{E}/enable", body: `{"redeliver":true}`, wantStatus: 200, action: "endpoint.enable", target: "endpoint:{E}", tenant: "{T}"},
	{method: "DELETE", path: "/recording-links/{RL}", prep: "INSERT INTO recording_links (event_id, tenant_id, created_at) VALUES ({EV}, {T}, CURRENT_TIMESTAMP)",
		wantStatus: 204, action: "recording_link.revoke", target: "recording_link:{RL}", tenant: "{T}"},
	{method: "POST", path: "/tenants/{T}/erasures", body: `{"meeting_code":"Boooply-AI-1234567890"}`, wantStatus: 200,
		action: "event.erase", target: "interview:Boooply-AI-1234567890", tenant: "{T}"},
	{method: "POST", path: "/sources", body: `{"name":"second","platform":"p2","secret":"` + auditSourceSec + `"}`, wantStatus: 201,
		action: "source.create", target: "source:{NS}", capture: map[string]string{"NS": "source.id"}},
	{method: "PATCH", path: "/sources/{NS}", body: `{"name":"renamed"}`, wantStatus: 200, action: "source.update", target: "source:{NS}"},
	{method: "POST", path: "/sources/{NS}/secrets", body: `{}`, wantStatus: 201, action: "source.secret_add", target: "source:{NS}"},
	{method: "DELETE", path: "/sources/{NS}/secrets/1", wantStatus: 204, action: "source.secret_remove", target: "source:{NS}"},
	{method: "DELETE", path: "/sources/{NS}", wantStatus: 204, action: "source.delete", target: "source:{NS}"},
	{method: "DELETE", path: "/tenants/{T}/endpoints/{NE}", wantStatus: 204, action: "endpoint.delete", target: "endpoint:{NE}", tenant: "{T}"},
	{method: "DELETE", path: "/tenants/{NT}", wantStatus: 204, action: "tenant.delete", target: "tenant:{NT}", tenant: "{NT}"},
	{method: "POST", path: "/users", body: `{"email":"new@example.com","role":"viewer","password":"` + auditUserPass + `"}`, wantStatus: 201,
		action: "user.create", target: "user:{NU}", capture: map[string]string{"NU": "user.id"}},
	{method: "PATCH", path: "/users/{NU}", body: `{"role":"support"}`, wantStatus: 200, action: "user.update", target: "user:{NU}"},
	{method: "POST", path: "/tokens", body: `{"name":"ci","role":"viewer"}`, wantStatus: 201, action: "token.create", target: "token:{TK}",
		capture: map[string]string{"TK": "api_token.id"}},
	{method: "DELETE", path: "/tokens/{TK}", wantStatus: 204, action: "token.revoke", target: "token:{TK}"},
	{method: "POST", path: "/auth/token", body: `{"email":"admin@example.com","password":"` + rolePassword + `"}`, wantStatus: 200,
		action: "auth.login", target: "user:{A}"},
	{method: "POST", path: "/auth/token", body: `{"email":"admin@example.com","password":"wrong-password-123"}`, wantStatus: 401,
		action: "auth.login_failed", target: "user", noUser: true},
	{method: "POST", path: "/auth/logout-all", wantStatus: 204, action: "auth.logout_all", target: "user:{A}"}, // last: ends the admin's tokens
}

// TestAPIAudit calls every mutating /api/v1 route as the admin and checks
// each left its audit entry (action, actor, tenant, target), and that no
// secret the test sent or was shown appears anywhere in the audit table or
// its CSV export.
func TestAPIAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		vars := map[string]string{"T": fmt.Sprint(f.tenant), "E": fmt.Sprint(f.endpoint), "D": fmt.Sprint(f.delivery),
			"EV": fmt.Sprint(f.event), "S": fmt.Sprint(f.source), "A": fmt.Sprint(f.admin)}
		seen := []string{auditInbound, auditAPIKey, auditAuthSecret, auditSourceSec, auditUserPass, "wrong-password-123", rolePassword}
		for _, row := range auditRows {
			t.Run(row.action, func(t *testing.T) {
				body := runAuditRow(t, a, db, row, vars, tokens["admin"])
				seen = append(seen, shownSecrets(body)...)
				checkAuditEntry(t, a, row, vars)
			})
		}
		checkAuditCoversRoutes(t, a)
		checkNoSecrets(t, a, db, bearerFor(t, a.app, "admin@example.com", rolePassword), seen)
	})
}

var placeholder = regexp.MustCompile(`\{([A-Z]+)\}`)

func expandVars(s string, vars map[string]string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vars[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// runAuditRow runs the row's SQL and call, checks the status and captures ids.
func runAuditRow(t *testing.T, a *testAPI, db *database.DB, row auditRow, vars map[string]string, token string) string {
	t.Helper()
	if row.prep != "" {
		if err := db.Gorm.Exec(expandVars(row.prep, vars)).Error; err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row.prep, "recording_links") {
			var id int64
			db.Gorm.Raw("SELECT max(id) FROM recording_links").Scan(&id)
			vars["RL"] = fmt.Sprint(id)
		}
	}
	path := "/api/v1" + expandVars(row.path, vars)
	code, body := roleCall(t, a, row.method, path, expandVars(row.body, vars), token)
	if code != row.wantStatus {
		t.Fatalf("%s %s = %d, want %d: %s", row.method, path, code, row.wantStatus, body)
	}
	for name, at := range row.capture {
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		vars[name] = fmt.Sprint(jsonNumberAt(t, v, at))
	}
	return body
}

// checkAuditEntry finds the newest entry with the row's action and compares it.
func checkAuditEntry(t *testing.T, a *testAPI, row auditRow, vars map[string]string) {
	t.Helper()
	es, _, err := a.gate.Store().ListAudit(context.Background(), auth.AuditFilter{Action: row.action, Limit: 1})
	if err != nil || len(es) != 1 {
		t.Fatalf("no %s entry (err %v)", row.action, err)
	}
	e := es[0]
	gotTenant := ""
	if e.TenantID != nil {
		gotTenant = fmt.Sprint(*e.TenantID)
	}
	want := [3]string{"admin@example.com", expandVars(row.tenant, vars), expandVars(row.target, vars)}
	if got := [3]string{e.Actor, gotTenant, e.Target}; got != want || (e.ActorID == nil) != row.noUser || e.IP == "" {
		t.Errorf("%s entry: actor, tenant, target = %q (actor_id %v, ip %q), want %q", row.action, got, e.ActorID, e.IP, want)
	}
}

var secretField = regexp.MustCompile(`"(?:[a-z_]*secret[a-z_]*|token|password)"\s*:\s*"([^"]{8,})"`)

// shownSecrets returns the secret values an answer shows once.
func shownSecrets(body string) []string {
	var out []string
	for _, m := range secretField.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// checkNoSecrets scans every column of every audit row, and the CSV export.
func checkNoSecrets(t *testing.T, a *testAPI, db *database.DB, token string, secrets []string) {
	t.Helper()
	var rows []map[string]any
	if err := db.Gorm.Raw("SELECT * FROM audit_log").Scan(&rows).Error; err != nil || len(rows) < len(auditRows) {
		t.Fatalf("audit_log: %d rows (err %v)", len(rows), err)
	}
	dump, _ := json.Marshal(rows)
	req := httptest.NewRequest("GET", "/api/v1/audit.csv", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := a.app.Test(req, -1)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("audit.csv = %v, %v", res.StatusCode, err)
	}
	csv, _ := io.ReadAll(res.Body)
	if !bytes.Contains(csv, []byte("endpoint.rotate_secret")) {
		t.Fatalf("the CSV export lacks the table's entries:\n%s", csv)
	}
	if len(secrets) < 8 {
		t.Fatalf("collected only %d secrets to look for: %q", len(secrets), secrets)
	}
	for _, s := range secrets {
		if bytes.Contains(dump, []byte(s)) || bytes.Contains(csv, []byte(s)) {
			t.Errorf("secret %q appears in the audit trail", s)
		}
	}
}

// notAudited are the unsafe /api/v1 routes that change nothing worth a record
// (a preview) or that auth records itself in ways the table doesn't repeat
// (setup creates the first admin; a logout ends only the caller's session).
var notAudited = []string{"POST /api/v1/mapping/preview", "POST /api/v1/auth/setup", "POST /api/v1/auth/login", "POST /api/v1/auth/logout"}

// checkAuditCoversRoutes fails when a mounted unsafe /api/v1 route has no
// row in auditRows, so a new route must say what it records.
func checkAuditCoversRoutes(t *testing.T, a *testAPI) {
	t.Helper()
	for _, route := range a.apiRoutes() {
		if strings.HasPrefix(route, "GET ") || slices.Contains(notAudited, route) {
			continue
		}
		if !slices.ContainsFunc(auditRows, func(r auditRow) bool { return routeMatches(route, r.method+" /api/v1"+r.path) }) {
			t.Errorf("%s has no row in auditRows", route)
		}
	}
}
