package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestAdminPagesReview covers what an admin onboarding a customer ran into:
// a duplicate email marked at the email field, a source rotation that says
// the old secret lasts 24 hours, a Disable confirmation that
// says what disabling does (not "held", which is Pause), held events of a
// tenant without an endpoint not offered for delivery (nowhere to send
// them), a test event sent from the endpoint page, and jq and JSON mapping
// errors under the text at fault, with one mode checked.
func TestAdminPagesReview(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			base, pc := adminSignedIn(t, target.URL)

			pc.do(http.MethodGet, "/admin/users", nil)
			st, body, _ := pc.post("/admin/users", url.Values{"email": {"admin@example.com"}, "name": {"Twin"}, "role": {"support"}})
			wantPage(t, "duplicate email", st, body, http.StatusUnprocessableEntity,
				[]string{`id="user-email-error"`, "is taken by another user", `value="admin@example.com" required aria-invalid="true"`}, nil)

			// Rotating a source says the current secret lasts 24 hours (it
			// said "until you revoke it"), and the list shows until when.
			if st, _, _ := pc.post("/admin/sources", url.Values{"name": {"Boooply"}}); st != http.StatusCreated {
				t.Fatalf("create source: %d", st)
			}
			st, body, _ = pc.do(http.MethodGet, "/admin/sources", nil)
			wantPage(t, "source rotate confirmation", st, body, http.StatusOK, []string{"still accepted for 24 hours, then refused"},
				[]string{"keeps working until you revoke it"})
			if st, _, _ := pc.post("/admin/sources/1/rotate", nil); st != http.StatusCreated {
				t.Fatalf("rotate source: %d", st)
			}
			st, body, _ = pc.do(http.MethodGet, "/admin/sources", nil)
			wantPage(t, "retiring secret", st, body, http.StatusOK, []string{"retiring", `data-testid="source-until">until 20`}, nil)

			// An event arrives before its tenant exists; the tenant has no endpoint yet.
			ev, err := webhooks.Sample("interview.evaluation")
			if err != nil {
				t.Fatal(err)
			}
			if st, ans := post(t, base, ev, hmacHex(ev)); st >= 300 {
				t.Fatalf("post event: %d %v", st, ans)
			}
			tenantPath := createTenantPage(t, pc, "Review Co", "org_7234567890")
			id := strings.TrimPrefix(tenantPath, "/admin/tenants/")
			st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
			wantPage(t, "held events, no endpoint", st, body, http.StatusOK,
				[]string{`data-testid="tenant-unrouted"`, `data-testid="tenant-deliver-needs-endpoint"`, "Add an endpoint first"},
				[]string{`data-testid="tenant-deliver-held"`})
			st, body, _ = pc.post("/admin/unrouted/"+id+"/deliver?back=tenant", nil)
			wantPage(t, "forced deliver without an endpoint", st, body, http.StatusConflict, []string{"add one first"}, nil)
			st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
			wantPage(t, "the event is still held", st, body, http.StatusOK, []string{"1 event with this sourceId arrived before"}, nil)

			// Credentials: one bad value; the other typed one is not saved and
			// its field says to enter it again.
			st, body, _ = pc.post(tenantPath+"/credentials", url.Values{"inbound_secret": {"good-inbound-secret-1"}, "boooply_api_key": {"two\nlines"}})
			wantPage(t, "credentials, one bad", st, body, http.StatusUnprocessableEntity,
				[]string{`id="tenant-boooply-key-error"`, `id="tenant-inbound-secret-input-error"`, "enter it again"}, []string{"good-inbound-secret-1"})

			// Disable says what it does, and the page says so once disabled.
			st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
			wantPage(t, "disable confirmation", st, body, http.StatusOK,
				[]string{"not sent when you resume it", "use Pause instead"}, []string{"will be held, not forwarded"})
			if st, _, loc := pc.post(tenantPath+"/disable", nil); st != http.StatusSeeOther {
				t.Fatalf("disable: %d → %q", st, loc)
			}
			st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
			wantPage(t, "disabled tenant", st, body, http.StatusOK, []string{`data-testid="tenant-disabled-note"`, "tenant-resume"}, nil)
			if st, _, loc := pc.post(tenantPath+"/resume", nil); st != http.StatusSeeOther || !strings.HasSuffix(loc, "?done=tenant-reenabled") {
				t.Fatalf("resume a disabled tenant: %d → %q", st, loc)
			}
			st, body, _ = pc.do(http.MethodGet, tenantPath+"?done=tenant-reenabled", nil)
			wantPage(t, "re-enabled tenant", st, body, http.StatusOK, []string{"Tenant active again"}, []string{"held deliveries are released"})

			recv := newReceiver(t, nil)
			st, _, _ = pc.post(tenantPath+"/endpoints", url.Values{"url": {recv.URL + "/hook"}, "enabled": {"true"}})
			if st != http.StatusCreated {
				t.Fatalf("create endpoint: %d", st)
			}
			st, body, _ = pc.do(http.MethodGet, tenantPath, nil)
			wantPage(t, "held events with an endpoint", st, body, http.StatusOK, []string{`data-testid="tenant-deliver-held"`},
				[]string{"tenant-deliver-needs-endpoint"})

			// A failed save doesn't send the typed secret back: the field says
			// to enter it again instead of looking untouched.
			st, body, _ = pc.post(tenantPath+"/endpoints/1", url.Values{"url": {recv.URL + "/hook"}, "enabled": {"true"},
				"auth_type": {"bearer"}, "auth_secret": {"typed-token-123"}, "headers": {"X-Api-Token: abc"}})
			wantPage(t, "failed save with a typed secret", st, body, http.StatusUnprocessableEntity,
				[]string{`id="endpoint-headers-error"`, `id="endpoint-auth-secret-error"`, "enter it again"}, []string{"typed-token-123"})

			// A disabled endpoint's page says what disabling does and offers no
			// test send (it would fail at once).
			st, _, _ = pc.post(tenantPath+"/endpoints/1", url.Values{"url": {recv.URL + "/hook"}})
			if st != http.StatusSeeOther {
				t.Fatalf("disable the endpoint: %d", st)
			}
			st, body, _ = pc.do(http.MethodGet, tenantPath+"/endpoints/1", nil)
			wantPage(t, "disabled endpoint", st, body, http.StatusOK, []string{`data-testid="endpoint-test-disabled"`, "those already queued for it fail"},
				[]string{`data-testid="endpoint-test"`, "its deliveries wait"})
			if st, _, _ = pc.post(tenantPath+"/endpoints/1", url.Values{"url": {recv.URL + "/hook"}, "enabled": {"true"}}); st != http.StatusSeeOther {
				t.Fatalf("enable the endpoint: %d", st)
			}
			// The endpoint page sends a test event and shows its delivery.
			st, body, _ = pc.do(http.MethodGet, tenantPath+"/endpoints/1", nil)
			wantPage(t, "endpoint page", st, body, http.StatusOK, []string{`data-testid="endpoint-test"`, `<option value="interview.scores">`}, nil)
			st, _, loc := pc.post("/admin/deliveries/test?tenant="+id+"&endpoint=1", url.Values{"event_type": {"interview.scores"}})
			if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/deliveries/") || !strings.HasSuffix(loc, "?notice=test") {
				t.Fatalf("send test event: %d → %q", st, loc)
			}
			waitFor(t, "the test event delivered", func() bool { return len(recv.bodies("/hook")) > 0 })
			st, body, _ = pc.do(http.MethodGet, loc, nil)
			wantPage(t, "test delivery", st, body, http.StatusOK, []string{"Test event queued", "switchboard-test-", "interview.scores"}, nil)
			st, body, _ = pc.post("/admin/deliveries/test?tenant="+id+"&endpoint=99", url.Values{"event_type": {"interview.scores"}})
			wantPage(t, "test to a missing endpoint", st, body, http.StatusNotFound, nil, nil)

			mapping := tenantPath + "/endpoints/1/mapping"
			pc.do(http.MethodGet, mapping, nil)
			st, body, _ = pc.do(http.MethodGet, mapping, nil)
			wantPage(t, "preview samples", st, body, http.StatusOK, []string{`<option value="interviewer_evaluation">`, "unsaved edits included"}, nil)
			st, body, _ = pc.post(mapping+"/preview", url.Values{"mode": {"passthrough"}, "sample": {"interviewer_evaluation"}})
			wantPage(t, "preview of the interviewer_evaluation sample", st, body, http.StatusOK, []string{"interviewerEvaluation"}, []string{"preview-errors"})
			const badJQ = "{name: .data.candidateName"
			st, body, _ = pc.post(mapping, url.Values{"mode": {"expression"}, "expression": {badJQ}, "sample": {"evaluation"}})
			wantPage(t, "jq syntax error", st, body, http.StatusUnprocessableEntity,
				[]string{`id="mapping-expression-error"`, "does not parse", `name="expression" aria-invalid="true"`, ">" + badJQ + "</textarea>"}, nil)
			st, body, _ = pc.post(mapping, url.Values{"mode": {"json"}, "sample": {"evaluation"},
				"mapping_json": {`{"mode":"rules","rules":[{"target":"x","from":"data.candidateName","ops":["bogus"]}]}`}})
			wantPage(t, "JSON with an unknown operation", st, body, http.StatusUnprocessableEntity,
				[]string{`id="mapping-json-error"`, "unknown operation", `name="mapping_json" aria-invalid="true"`}, nil)
			if n := strings.Count(body, `name="mode" value="rules" checked`) + strings.Count(body, `name="mode" value="json" checked`); n != 1 {
				t.Errorf("JSON mode after a failed save: %d mode radios checked, want 1", n)
			}
		})
	}
}
