package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// heldStory is what happens to an event held for a sourceId once a tenant
// owns it: counted before and after deliver-held.
type heldStory struct {
	HeldBefore, DeliveriesBefore int64 // still unrouted, and no delivery, after the tenant exists
	ShownWithOwner               bool  // GET /unrouted names the tenant that owns the sourceId now
	Delivered                    int   // deliver-held's {"events":N}
	HeldAfter, DeliveriesAfter   int64
	NextRoutes                   bool // an event arriving afterwards gets its delivery at once
}

// TestImportHeldEventsLikeCreate: an event held unrouted before its tenant
// existed is treated the same whether the tenant came from POST /tenants or
// from an import: it stays held (no automatic delivery), is listed with its
// new owner, deliver-held delivers it, and later events route directly.
func TestImportHeldEventsLikeCreate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		admin := &auth.User{Email: "admin@example.com", Role: auth.RoleAdmin}
		if _, err := a.gate.CreateUser(context.Background(), admin, rolePassword); err != nil {
			t.Fatal(err)
		}
		token := bearerFor(t, a.app, admin.Email, rolePassword)
		postSigned(t, a, sampleFor(t, "org_by_create", "held-create"))
		postSigned(t, a, sampleFor(t, "org_by_import", "held-import"))
		created := roleCreate(t, a, token, "/api/v1/tenants",
			`{"name":"Created","source_id":"org_by_create","endpoints":[{"url":"http://127.0.0.1:9/c"}]}`, "", nil)
		code, out := roleCall(t, a, "POST", "/api/v1/tenants/import",
			`{"tenants":[{"name":"Imported","source_id":"org_by_import","endpoints":[{"url":"http://127.0.0.1:9/i"}]}]}`, token)
		if code != 201 {
			t.Fatalf("import = %d %s, want 201", code, out)
		}
		var v any
		_ = json.Unmarshal([]byte(out), &v)
		imported := jsonNumberAt(t, v, "tenants.0.id")
		byCreate := followHeld(t, a, db, token, created, "org_by_create")
		byImport := followHeld(t, a, db, token, imported, "org_by_import")
		want := heldStory{HeldBefore: 1, ShownWithOwner: true, Delivered: 1, DeliveriesAfter: 1, NextRoutes: true}
		if byCreate != want {
			t.Errorf("after a single create: %+v, want %+v", byCreate, want)
		}
		if byImport != byCreate {
			t.Errorf("after an import: %+v; after a single create: %+v", byImport, byCreate)
		}
	})
}

// followHeld records the held event of source as tenant takes it over.
func followHeld(t *testing.T, a *testAPI, db *database.DB, token string, tenant int64, source string) heldStory {
	t.Helper()
	var s heldStory
	held := func() int64 {
		return countRows(t, db, "SELECT COUNT(*) FROM events WHERE source_id = ? AND tenant_id IS NULL", source)
	}
	deliveries := func() int64 { return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE tenant_id = ?", tenant) }
	s.HeldBefore, s.DeliveriesBefore = held(), deliveries()
	_, list := roleCall(t, a, "GET", "/api/v1/unrouted", "", token)
	var groups struct {
		Items []struct {
			SourceID *string `json:"source_id"`
			TenantID *int64  `json:"tenant_id"`
		} `json:"items"`
	}
	_ = json.Unmarshal([]byte(list), &groups)
	for _, g := range groups.Items {
		s.ShownWithOwner = s.ShownWithOwner || g.SourceID != nil && *g.SourceID == source && g.TenantID != nil && *g.TenantID == tenant
	}
	code, out := roleCall(t, a, "POST", fmt.Sprintf("/api/v1/tenants/%d/deliver-held", tenant), `{}`, token)
	var answer struct{ Events int }
	if code != 200 || json.Unmarshal([]byte(out), &answer) != nil {
		t.Fatalf("deliver-held = %d %s", code, out)
	}
	s.Delivered, s.HeldAfter, s.DeliveriesAfter = answer.Events, held(), deliveries()
	var next struct {
		Deliveries int `json:"deliveries"`
	}
	_ = json.NewDecoder(postSigned(t, a, sampleFor(t, source, "next-"+source)).Body).Decode(&next)
	s.NextRoutes = next.Deliveries == 1
	return s
}
