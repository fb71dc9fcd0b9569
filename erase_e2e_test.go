package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// ingestHTTP posts body, signed, to the app's ingest route and returns the answer.
func (a *testApp) ingestHTTP(t *testing.T, body []byte) (status string, eventID int64) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write(body)
	st, out := a.call(t, "POST", "/webhooks/boooply", string(body), "", http.Header{"X-Boooply-Signature": {hex.EncodeToString(mac.Sum(nil))}})
	var res struct {
		Status  string `json:"status"`
		EventID int64  `json:"event_id"`
	}
	if err := json.Unmarshal([]byte(out), &res); st != 200 || err != nil {
		t.Fatalf("ingest = %d %s", st, out)
	}
	return res.Status, res.EventID
}

// TestEraseOverHTTP erases a candidate's data through the real routes on
// both databases: who may (support, viewer: 403 on the API and the pages,
// and no button; an admin token limited to another tenant: 404), the
// admin's button, confirm step and erased state on the event and delivery
// pages, the API's dry run and erasure by name, the CLI, the duplicate on
// redelivery, and the audit trail: counts, never the candidate's data.
func TestEraseOverHTTP(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			a := newTestApp(t, testdb.Open(t, target.URL))
			a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
			a.addUser(t, "support@example.com", auth.RoleSupport, nil)
			a.addUser(t, "viewer@example.com", auth.RoleViewer, nil)
			admin, support := a.signIn(t, "admin@example.com"), a.signIn(t, "support@example.com")
			viewer := a.token(t, "viewer@example.com")
			tenant := a.createJSON(t, "POST", "/api/v1/tenants", `{"name":"Acme","source_id":"org_7234567890","endpoints":[{"url":"http://127.0.0.1:9/x"}]}`, admin.bearer, "id")
			other := a.createJSON(t, "POST", "/api/v1/tenants", `{"name":"Other","source_id":"org_other","endpoints":[{"url":"http://127.0.0.1:9/y"}]}`, admin.bearer, "id")
			const code = "Boooply-AI-1234567890"
			sample, _ := webhooks.Sample("interview.evaluation")
			_, ev := a.ingestHTTP(t, sample)
			transcript, _ := webhooks.Sample("interview.transcript")
			a.ingestHTTP(t, transcript)
			second := []byte(strings.ReplaceAll(strings.ReplaceAll(string(sample), code, "m-second"), "Jane Doe", "JANE DOE"))
			a.ingestHTTP(t, second)
			a.createJSON(t, "PUT", fmt.Sprintf("/api/v1/tenants/%d/correlations/%s", tenant, code), `{"attributes":{"candidate_id":"4711"}}`, admin.bearer, "")
			var delivery int64
			a.db.Gorm.Raw("SELECT id FROM deliveries WHERE event_id = ?", ev).Scan(&delivery)
			erasures := fmt.Sprintf("/api/v1/tenants/%d/erasures", tenant)
			body := `{"meeting_code":"` + code + `"}`

			// Who may not.
			// Admins have no tenant scope, not even through a token: the
			// erasure's only scope check is the tenant a caller may see.
			if st, out := a.call(t, "POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"scoped","role":"admin","tenant_ids":[%d]}`, other), admin.bearer, nil); st != 422 {
				t.Errorf("an admin token limited to a tenant: %d %s, want 422", st, out)
			}
			scopedToken := func(to int64) string {
				_, out := a.call(t, "POST", "/api/v1/tokens", fmt.Sprintf(`{"name":"s%d","role":"support","tenant_ids":[%d]}`, to, to), support.bearer, nil)
				var tok struct {
					Token string `json:"token"`
				}
				if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.Token == "" {
					t.Fatalf("support token: %s", out)
				}
				return tok.Token
			}
			for _, c := range []struct {
				who, bearer string
				want        int
			}{{"support", support.bearer, 403}, {"viewer", viewer, 403}, {"support limited to this tenant", scopedToken(tenant), 403},
				{"support limited to another tenant", scopedToken(other), 404}} {
				if st, out := a.call(t, "POST", erasures, body, c.bearer, nil); st != c.want || !strings.Contains(out, `"code"`) {
					t.Errorf("%s: %d %s, want %d with a problem body", c.who, st, out, c.want)
				}
			}
			for _, p := range []string{fmt.Sprintf("/admin/events/%d", ev), fmt.Sprintf("/admin/deliveries/%d", delivery)} {
				st, page, _ := support.page.do("GET", p, nil)
				wantPage(t, "support "+p, st, page, 200, []string{"Jane Doe"}, []string{"event-erase", "delivery-erase"})
			}
			if st, _, _ := support.page.do("GET", fmt.Sprintf("/admin/events/%d/erase", ev), nil); st != 403 {
				t.Errorf("support's confirm page: %d, want 403", st)
			}
			if st, _, _ := support.page.post(fmt.Sprintf("/admin/events/%d/erase", ev), nil); st != 403 {
				t.Errorf("support's erase: %d, want 403", st)
			}
			var n int64
			a.db.Gorm.Raw("SELECT COUNT(*) FROM events WHERE erased_at IS NOT NULL").Scan(&n)
			if n != 0 {
				t.Fatalf("refused callers erased %d events", n)
			}
			if st, out := a.call(t, "POST", erasures, `{"meeting_code":"x","candidate_name":"y"}`, admin.bearer, nil); st != 422 || !strings.Contains(out, `"field":"candidate_name"`) {
				t.Errorf("both named: %d %s, want 422 naming candidate_name", st, out)
			}

			// The admin's button, confirm step and erasure.
			st, page, _ := admin.page.do("GET", fmt.Sprintf("/admin/deliveries/%d", delivery), nil)
			wantPage(t, "admin's delivery page", st, page, 200, []string{`data-testid="delivery-erase"`, fmt.Sprintf("/admin/events/%d/erase", ev)}, nil)
			st, page, _ = admin.page.do("GET", fmt.Sprintf("/admin/events/%d", ev), nil)
			wantPage(t, "admin's event page", st, page, 200, []string{`data-testid="event-erase"`}, []string{"event-erased"})
			st, page, _ = admin.page.do("GET", fmt.Sprintf("/admin/events/%d/erase", ev), nil)
			wantPage(t, "confirm page", st, page, 200, []string{`data-testid="event-erase-confirm"`, code, "2 event(s)", "correlation record", "audit entries copied (1)"}, nil)
			st, _, loc := admin.page.post(fmt.Sprintf("/admin/events/%d/erase", ev), nil)
			if st != 303 || loc != fmt.Sprintf("/admin/events/%d?notice=erased", ev) {
				t.Fatalf("erase from the page: %d → %q", st, loc)
			}
			st, page, _ = admin.page.do("GET", loc, nil)
			wantPage(t, "erased event page", st, page, 200, []string{`data-testid="event-erased"`, "by admin@example.com"}, []string{"Jane Doe", `data-testid="event-erase"`})
			// The correlation's audit entry keeps who and when, not the ATS id.
			var audited []struct{ Actor, Before, After string }
			a.db.Gorm.Raw("SELECT actor, COALESCE(before_json, '') AS before, COALESCE(after_json, '') AS after FROM audit_log WHERE target = ?", "correlation:"+code).Scan(&audited)
			if len(audited) != 1 || audited[0].Actor != "admin@example.com" || audited[0].After != `"[erased]"` || strings.Contains(audited[0].Before+audited[0].After, "4711") {
				t.Errorf("correlation audit entries after erasure: %+v, want one by admin@example.com with its values [erased]", audited)
			}
			if st, out := a.call(t, "GET", "/api/v1/audit?limit=200", "", admin.bearer, nil); st != 200 || strings.Contains(out, "4711") || !strings.Contains(out, `\"audit_entries\":1`) {
				t.Errorf("audit trail after erasure: %d, want no ATS id and the erasure's count of audit entries: %s", st, out)
			}
			// The lists mark the erased rows (their names are gone), and only those.
			for _, list := range []string{"/admin/events", "/admin/deliveries"} {
				st, page, _ = admin.page.do("GET", list+"?meeting_code="+code, nil)
				wantPage(t, "erased interview in "+list, st, page, 200, []string{`data-testid="row-erased"`}, []string{"Jane Doe"})
				st, page, _ = admin.page.do("GET", list+"?meeting_code=m-second", nil)
				wantPage(t, "another interview in "+list, st, page, 200, []string{"JANE DOE"}, []string{`data-testid="row-erased"`})
			}
			st, page, _ = admin.page.do("GET", fmt.Sprintf("/admin/deliveries/%d", delivery), nil)
			wantPage(t, "erased delivery page", st, page, 200, []string{`data-testid="delivery-erased"`, "erased"},
				[]string{"Jane Doe", "delivery-retry", "delivery-replay", `data-testid="delivery-erase"`})
			if st, out := a.call(t, "POST", fmt.Sprintf("/api/v1/deliveries/%d/retry", delivery), "", admin.bearer, nil); st != 409 {
				t.Errorf("retry of an erased delivery: %d %s, want 409", st, out)
			}
			if st, out := a.call(t, "GET", fmt.Sprintf("/api/v1/deliveries/%d", delivery), "", admin.bearer, nil); st != 200 ||
				!strings.Contains(out, `"erased_by":"admin@example.com"`) || !strings.Contains(out, `"status":"failed"`) || strings.Contains(out, "Jane") {
				t.Errorf("erased delivery over the API: %d %s", st, out)
			}

			// The same bytes again: a duplicate, nothing new stored or queued.
			if status, id := a.ingestHTTP(t, sample); status != "duplicate" || id != ev {
				t.Errorf("redelivery after erasure: %s event %d, want a duplicate of %d", status, id, ev)
			}

			// By name: a dry run lists, then the erasure; the CLI's dry run finds nothing left.
			st, out := a.call(t, "POST", erasures, `{"candidate_name":"jane doe","dry_run":true}`, admin.bearer, nil)
			if st != 200 || !strings.Contains(out, `"meeting_codes":["m-second"]`) || !strings.Contains(out, `"dry_run":true`) {
				t.Errorf("dry run by name: %d %s", st, out)
			}
			st, out = a.call(t, "POST", erasures, `{"candidate_name":"Jane Doe"}`, admin.bearer, nil)
			if st != 200 || !strings.Contains(out, `"meeting_codes":["m-second"]`) || !strings.Contains(out, `"cancelled":1`) {
				t.Errorf("erase by name: %d %s", st, out)
			}
			if st, out := a.call(t, "GET", "/api/v1/deliveries?candidate_name=jane", "", admin.bearer, nil); st != 200 || !strings.Contains(out, `"items":[]`) {
				t.Errorf("name search after erasure: %d %s", st, out)
			}
			cli := runCLI(t, "events", "erase", "--tenant", fmt.Sprint(tenant), "--candidate-name", "JANE DOE", "--dry-run", "--database-url", target.URL)
			if !strings.Contains(cli, "No interview of this tenant has that candidate name.") {
				t.Errorf("events erase --dry-run after erasure:\n%s", cli)
			}
			cli = runCLI(t, "events", "erase", "--tenant", fmt.Sprint(tenant), "--meeting-code", code, "--database-url", target.URL)
			if !strings.Contains(cli, code) {
				t.Errorf("events erase --meeting-code:\n%s", cli)
			}

			// The audit trail: one entry per meetingCode, counts, no personal data.
			st, out = a.call(t, "GET", "/api/v1/audit?action=event.erase", "", admin.bearer, nil)
			if st != 200 || strings.Count(out, `"action":"event.erase"`) != 3 || !strings.Contains(out, `"target":"interview:m-second"`) ||
				!strings.Contains(out, `\"cancelled\":`) {
				t.Errorf("audit: %d %s, want three event.erase entries with counts", st, out)
			}
			var rows []map[string]any
			a.db.Gorm.Raw("SELECT * FROM audit_log").Scan(&rows)
			_, csv := a.call(t, "GET", "/api/v1/audit.csv", "", admin.bearer, nil)
			for _, s := range []string{fmt.Sprint(rows), csv} {
				if strings.Contains(strings.ToLower(s), "jane") {
					t.Errorf("the audit trail holds the candidate's data: %s", s)
				}
			}
		})
	}
}

// TestEraseUnownedSource: unrouted events of a sourceId no tenant owns are
// erased by creating a disabled tenant for that sourceId, without an
// endpoint, and erasing there (the README's procedure): the held event is
// attached to it and erased, and no delivery is created for it.
func TestEraseUnownedSource(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			a := newTestApp(t, testdb.Open(t, target.URL))
			a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
			admin := a.signIn(t, "admin@example.com")
			sample, _ := webhooks.Sample("interview.evaluation")
			if !strings.Contains(string(sample), `"org_7234567890"`) {
				t.Fatal("the sample's sourceId changed; this test replaces it")
			}
			stranger := []byte(strings.ReplaceAll(string(sample), `"org_7234567890"`, `"org_stranger"`))
			if status, _ := a.ingestHTTP(t, stranger); status != "accepted" {
				t.Fatalf("ingest: %s", status)
			}
			var ev int64
			a.db.Gorm.Raw("SELECT id FROM events WHERE source_id = 'org_stranger' AND tenant_id IS NULL").Scan(&ev)
			if ev == 0 {
				t.Fatal("the event is not held as unrouted")
			}
			tenant := a.createJSON(t, "POST", "/api/v1/tenants", `{"name":"Stranger","source_id":"org_stranger","status":"disabled"}`, admin.bearer, "id")
			st, out := a.call(t, "POST", fmt.Sprintf("/api/v1/tenants/%d/erasures", tenant), `{"meeting_code":"Boooply-AI-1234567890"}`, admin.bearer, nil)
			if st != 200 || !strings.Contains(out, `"events":1`) {
				t.Fatalf("erasure: %d %s, want one event erased", st, out)
			}
			var left struct {
				Erased, Named, Bodies, Attached, Deliveries int64
			}
			a.db.Gorm.Raw(`SELECT
				(SELECT COUNT(*) FROM events WHERE id = ? AND erased_at IS NOT NULL) AS erased,
				(SELECT COUNT(*) FROM events WHERE id = ? AND candidate_name <> '') AS named,
				(SELECT COUNT(*) FROM events WHERE id = ? AND LENGTH(body) > 0) AS bodies,
				(SELECT COUNT(*) FROM events WHERE id = ? AND tenant_id = ?) AS attached,
				(SELECT COUNT(*) FROM deliveries WHERE event_id = ?) AS deliveries`, ev, ev, ev, ev, tenant, ev).Scan(&left)
			if left.Erased != 1 || left.Named != 0 || left.Bodies != 0 || left.Attached != 1 || left.Deliveries != 0 {
				t.Errorf("after erasure: %+v, want erased, no name, no body, attached to the disabled tenant, no delivery", left)
			}
		})
	}
}
