package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tidwall/sjson"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestDeliverHeldNullSourceScope: events without a sourceId belong to no
// tenant, so a caller limited to some tenants neither sees them nor may
// attach them to one of its tenants (which would show their bodies in its
// deliveries and send them to its ATS). An unscoped support user may.
func TestDeliverHeldNullSourceScope(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		admin := &auth.User{Email: "admin@example.com", Role: auth.RoleAdmin}
		if _, err := a.gate.CreateUser(context.Background(), admin, rolePassword); err != nil {
			t.Fatal(err)
		}
		adminToken := bearerFor(t, a.app, admin.Email, rolePassword)
		tenant := roleCreate(t, a, adminToken, "/api/v1/tenants",
			`{"name":"Scoped","source_id":"org_scoped","endpoints":[{"url":"http://127.0.0.1:9/hook"}]}`, "", nil)
		ingestWithoutSource(t, a)
		users := map[string][]int64{"scoped@example.com": {tenant}, "support@example.com": nil}
		tokens := map[string]string{}
		for email, scope := range users {
			u := &auth.User{Email: email, Role: auth.RoleSupport, TenantIDs: scope}
			if _, err := a.gate.CreateUser(context.Background(), u, rolePassword); err != nil {
				t.Fatal(err)
			}
			tokens[email] = bearerFor(t, a.app, email, rolePassword)
		}
		path := fmt.Sprintf("/api/v1/tenants/%d/deliver-held", tenant)
		if code, body := roleCall(t, a, "POST", path, `{"null_source":true}`, tokens["scoped@example.com"]); code != 403 {
			t.Errorf("scoped support: deliver-held null_source = %d %s, want 403", code, body)
		}
		if code, body := roleCall(t, a, "GET", "/api/v1/deliveries", "", tokens["scoped@example.com"]); code != 200 || strings.Contains(body, `"event_id"`) {
			t.Errorf("scoped support: deliveries = %d %s, want none", code, body)
		}
		if n := unroutedCount(t, a, adminToken); n != 1 {
			t.Fatalf("unrouted events after the refused call = %d, want 1", n)
		}
		if code, body := roleCall(t, a, "POST", path, `{"null_source":true}`, tokens["support@example.com"]); code != 200 || !strings.Contains(body, `"events":1`) {
			t.Errorf("unscoped support: deliver-held null_source = %d %s, want 200 with one event", code, body)
		}
	})
}

// ingestWithoutSource posts the signed evaluation sample with data.sourceId
// null: no tenant owns it, so it is held unrouted.
func ingestWithoutSource(t *testing.T, a *testAPI) {
	t.Helper()
	sample, err := webhooks.Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	body, err := sjson.SetRawBytes(sample, "data.sourceId", []byte("null"))
	if err != nil {
		t.Fatal(err)
	}
	postSigned(t, a, body)
}

func unroutedCount(t *testing.T, a *testAPI, token string) int {
	t.Helper()
	code, body := roleCall(t, a, "GET", "/api/v1/unrouted", "", token)
	var out struct {
		Items []struct {
			Count int `json:"count"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &out); code != 200 || err != nil {
		t.Fatalf("GET /unrouted = %d %s", code, body)
	}
	n := 0
	for _, g := range out.Items {
		n += g.Count
	}
	return n
}
