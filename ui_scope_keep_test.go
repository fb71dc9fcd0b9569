package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

var checkboxTag = regexp.MustCompile(`<input[^>]*name="tenant_ids"[^>]*>`)

// tickedTenants are the tenant_ids checkboxes a page renders ticked: what a
// browser posts back when the form is saved unchanged.
func tickedTenants(page string) []string {
	var out []string
	for _, tag := range checkboxTag.FindAllString(page, -1) {
		if m := regexp.MustCompile(`value="(\d+)"`).FindStringSubmatch(tag); m != nil && strings.Contains(tag, "checked") {
			out = append(out, m[1])
		}
	}
	return out
}

// TestUserEditKeepsScopeOfDeletedTenant: a support user limited to a
// tenant that was deleted since sees no tenant. An admin who opens their
// edit page and saves it to change only the role (to viewer, a step down)
// must not lift the limit: the deleted tenant is listed, ticked, so it is
// posted back, and the user still sees nothing. With a few tenants (every
// one a checkbox) and past the picker's 50 (ticked ones and a search), on
// both dialects.
func TestUserEditKeepsScopeOfDeletedTenant(t *testing.T) {
	for _, many := range []bool{false, true} {
		t.Run(fmt.Sprintf("many tenants %v", many), func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *database.DB) {
				a := newTestApp(t, db)
				a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
				adm := a.token(t, "admin@example.com")
				gone := a.createJSON(t, "POST", "/api/v1/tenants", `{"name":"Gone Co","source_id":"org_gone"}`, adm, "id")
				a.createJSON(t, "POST", "/api/v1/tenants", `{"name":"Other Co","source_id":"org_other"}`, adm, "id")
				if many {
					var ts []string
					for i := range 55 {
						ts = append(ts, fmt.Sprintf(`{"name":"Bulk %02d","source_id":"org_bulk_%02d"}`, i, i))
					}
					a.createJSON(t, "POST", "/api/v1/tenants/import", `{"tenants":[`+strings.Join(ts, ",")+`]}`, adm, "")
				}
				user := a.addUser(t, "limited@example.com", auth.RoleSupport, []int64{gone})
				if st, body := a.call(t, "DELETE", fmt.Sprintf("/api/v1/tenants/%d", gone), "", adm, nil); st != http.StatusNoContent {
					t.Fatalf("delete tenant = %d %s", st, body)
				}
				seen := func() string {
					_, body := a.call(t, "GET", "/api/v1/tenants?limit=100", "", a.token(t, "limited@example.com"), nil)
					return body
				}
				if body := seen(); !strings.Contains(body, `"items":[]`) {
					t.Fatalf("before the edit the user sees %.300s, want no tenant", body)
				}

				pc := newPageClient(t, a.base)
				pc.signIn("admin@example.com")
				editPath := fmt.Sprintf("/admin/users/%d", user)
				st, page, _ := pc.do("GET", editPath, nil)
				ticked := tickedTenants(page)
				if st != 200 || len(ticked) != 1 || ticked[0] != fmt.Sprint(gone) {
					t.Errorf("edit page = %d, ticked %v, want the deleted tenant %d ticked", st, ticked, gone)
				}
				form := url.Values{"role": {"viewer"}, "tenant_ids": ticked}
				if st, body, loc := pc.post(editPath, form); st != http.StatusSeeOther {
					t.Fatalf("save = %d → %q: %.300s", st, loc, body)
				}
				u, err := auth.NewStore(db.Gorm).FindUser(context.Background(), user)
				if err != nil {
					t.Fatal(err)
				}
				if u.Role != auth.RoleViewer || u.TenantIDs == nil {
					t.Errorf("after the role change: role %s, tenants %v; want viewer, still limited", u.Role, u.TenantIDs)
				}
				if body := seen(); !strings.Contains(body, `"items":[]`) {
					t.Errorf("after an admin changed only the role, the user sees %.300s, want still no tenant", body)
				}
			})
		})
	}
}

// TestScopeNamesOnlyExistingTenants: a user's or an API token's tenant
// list may not name an id no tenant has. Ids are handed out in order, so
// such a scope (a typo, a copied list) would grant the next tenant created
// to a user meant to see a few: refused with 422 naming tenant_ids, through
// the API (users, tokens) and the users page, on both dialects. Keeping a
// tenant deleted since stays possible (TestUserEditKeepsScopeOfDeletedTenant).
func TestScopeNamesOnlyExistingTenants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestApp(t, db)
		a.addUser(t, "admin@example.com", auth.RoleAdmin, nil)
		adm := a.token(t, "admin@example.com")
		tenant := a.createJSON(t, "POST", "/api/v1/tenants", `{"name":"Only Co","source_id":"org_only"}`, adm, "id")
		next := tenant + 1 // the id the next tenant gets
		user := a.createJSON(t, "POST", "/api/v1/users", fmt.Sprintf(`{"email":"ok@example.com","role":"support","tenant_ids":[%d]}`, tenant), adm, "user.id")
		pc := newPageClient(t, a.base)
		pc.signIn("admin@example.com")
		cases := []struct {
			name, method, path, body string
			form                     url.Values
		}{
			{name: "API user", method: "POST", path: "/api/v1/users", body: fmt.Sprintf(`{"email":"u1@example.com","role":"support","tenant_ids":[%d,%d]}`, tenant, next)},
			{name: "API user update", method: "PATCH", path: fmt.Sprintf("/api/v1/users/%d", user), body: fmt.Sprintf(`{"tenant_ids":[%d,%d]}`, tenant, next)},
			{name: "API token", method: "POST", path: "/api/v1/tokens", body: fmt.Sprintf(`{"name":"ci","role":"viewer","tenant_ids":[%d]}`, next)},
			{name: "users page", method: "POST", path: "/admin/users", form: url.Values{"email": {"u2@example.com"}, "role": {"support"}, "tenant_ids": {fmt.Sprint(next)}}},
			{name: "user edit page", method: "POST", path: fmt.Sprintf("/admin/users/%d", user), form: url.Values{"role": {"support"}, "tenant_ids": {fmt.Sprint(tenant), fmt.Sprint(next)}}},
		}
		for _, tc := range cases {
			var st int
			var body string
			if tc.form != nil {
				st, body, _ = pc.post(tc.path, tc.form)
			} else {
				st, body = a.call(t, tc.method, tc.path, tc.body, adm, nil)
			}
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, fmt.Sprintf("%d names no tenant", next)) {
				t.Errorf("%s naming tenant %d (none yet) = %d, want 422 naming it: %.300s", tc.name, next, st, body)
			}
		}
		if st, body := a.call(t, "PATCH", fmt.Sprintf("/api/v1/users/%d", user), fmt.Sprintf(`{"tenant_ids":[%d]}`, tenant), adm, nil); st != http.StatusOK {
			t.Errorf("update naming an existing tenant = %d %s", st, body)
		}
		a.createJSON(t, "POST", "/api/v1/tenants", `{"name":"Next Co","source_id":"org_next"}`, adm, "")
		for _, email := range []string{"u1@example.com", "u2@example.com"} {
			if _, err := auth.NewStore(db.Gorm).FindUserByEmail(context.Background(), email); err == nil {
				t.Errorf("%s was created with a tenant that did not exist yet", email)
			}
		}
	})
}
