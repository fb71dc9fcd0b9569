package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/uitest"
)

// TestBrowserTenantFilterSearch: with more tenants than a picker should
// list, support filters the deliveries by typing. Suggestions follow the
// typing; Enter on part of a name lists the tenants it matches; a choice
// made by keyboard filters the list, the field shows the tenant by name and
// the endpoint picker offers its endpoints; typing another tenant's
// sourceId and tabbing away swaps the list over htmx, the address naming
// the tenant by id and focus kept; clearing the field shows every tenant.
func TestBrowserTenantFilterSearch(t *testing.T) {
	b := uitest.New(t)
	dbURL := testdb.Targets(t)[0].URL
	db := testdb.Open(t, dbURL)
	seedScale(t, db.Gorm, 300)
	id := func(n int) string {
		var v int64
		if err := db.Gorm.Raw("SELECT id FROM tenants WHERE source_id = ?", "org-scale-"+strconv.Itoa(n)).Scan(&v).Error; err != nil || v == 0 {
			t.Fatalf("tenant %d: %v", n, err)
		}
		return strconv.FormatInt(v, 10)
	}
	base, logs := startServer(t, dbURL)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	createUser(t, dbURL, "support-tenant-search@example.com", auth.RoleSupport)
	browserSignIn(t, b, base, "support-tenant-search@example.com", "browser test password")
	openPage(t, b, base+"/admin/deliveries")
	if n := uitest.Eval[int](t, b, `document.querySelectorAll("option").length`); n > 60 {
		t.Fatalf("the deliveries page has %d options with 300 tenants, want bounded pickers", n)
	}
	if n := uitest.Eval[int](t, b, `document.querySelectorAll("#f-endpoint option").length`); n != 1 {
		t.Errorf("endpoint picker lists %d options before a tenant is chosen, want only All endpoints", n)
	}

	rows := `document.querySelectorAll('[data-testid="delivery-row"]').length`
	b.Do(t, "type part of a name", chromedp.Focus("#f-tenant"), chromedp.SendKeys("#f-tenant", "enant 29"))
	b.WaitFor(t, "suggestions for it", `(() => { const o = [...document.querySelectorAll("#f-tenant-suggestions option")];
		return o.length === 11 && o.every(x => x.value.includes("enant 29")); })()`)
	b.Do(t, "Enter", chromedp.KeyEvent("\r"))
	b.WaitFor(t, "the tenants to choose from", `document.querySelectorAll('[data-testid="tenant-choice"]').length === 11 && `+rows+` === 0`)
	auditPage(t, b, "deliveries: tenants to choose")
	if !uitest.Eval[bool](t, b, `(() => { const a = [...document.querySelectorAll('[data-testid="tenant-choice"]')].find(a => a.textContent.startsWith("Tenant 295 "));
		a.focus(); return document.activeElement === a; })()`) {
		t.Fatal("the choice for Tenant 295 takes no focus")
	}
	b.Do(t, "choose by keyboard", chromedp.KeyEvent("\r"))
	b.WaitNav(t, "Tenant 295's deliveries", `new URLSearchParams(location.search).get("tenant") === "`+id(295)+`" && `+rows+` === 1`)
	if v := uitest.Eval[string](t, b, `document.getElementById("f-tenant").value`); v != "Tenant 295" {
		t.Errorf("the tenant field shows %q, want the tenant's name", v)
	}
	if !uitest.Eval[bool](t, b, `[...document.querySelectorAll("#f-endpoint option")].some(o => o.textContent.includes("org-scale-295"))`) {
		t.Error("the endpoint picker does not offer Tenant 295's endpoint")
	}

	emptyField := chromedp.Evaluate[chromedp.Void](`document.getElementById("f-tenant").value = ""`)
	b.Do(t, "type another tenant's sourceId and leave the field", emptyField,
		chromedp.Focus("#f-tenant"), chromedp.SendKeys("#f-tenant", "org-scale-42"), chromedp.KeyEvent("\t"))
	b.WaitFor(t, "Tenant 42's deliveries in place", `new URLSearchParams(location.search).get("tenant") === "`+id(42)+`" &&
		!location.search.includes("tenant_q") && `+rows+` === 1 && document.getElementById("f-tenant").value === "Tenant 42" &&
		[...document.querySelectorAll("#f-endpoint option")].some(o => o.textContent.includes("org-scale-42"))`)
	if got := uitest.Eval[string](t, b, `document.activeElement ? document.activeElement.id : ""`); got != "f-endpoint" {
		t.Errorf("after the swap focus is on %q, want the endpoint picker the Tab moved to", got)
	}

	b.Do(t, "clear the field", emptyField, chromedp.Focus("#f-tenant"), chromedp.KeyEvent("\r"))
	b.WaitFor(t, "every tenant's deliveries", `!new URLSearchParams(location.search).get("tenant") && `+rows+` === 50`)
	pageClean(t, b, "deliveries after tenant searches")
}

// TestBrowserScopePickerSearch: with more tenants than checkboxes fit, the
// user page shows the user's own tenants ticked and a search field. Part of
// a name, saved, comes back as the matching tenants to tick (focus on the
// field at fault); ticking one by keyboard and saving adds it to the scope
// and keeps the others.
func TestBrowserScopePickerSearch(t *testing.T) {
	b := uitest.New(t)
	dbURL := testdb.Targets(t)[0].URL
	db := testdb.Open(t, dbURL)
	seedScale(t, db.Gorm, 300)
	var ids []int64
	if err := db.Gorm.Raw("SELECT id FROM tenants WHERE source_id IN ('org-scale-7', 'org-scale-8', 'org-scale-295') ORDER BY name").Scan(&ids).Error; err != nil || len(ids) != 3 {
		t.Fatalf("tenant ids %v: %v", ids, err)
	}
	base, _ := startServer(t, dbURL)
	createUser(t, dbURL, "admin-scope-search@example.com", auth.RoleAdmin)
	viewer, err := auth.NewStore(db.Gorm).CreateUserWithPassword(context.Background(),
		&auth.User{Email: "scoped-viewer@example.com", Role: auth.RoleViewer, TenantIDs: ids[1:]}, uiPassword) // Tenant 7 and 8
	if err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, b, base, "admin-scope-search@example.com", "browser test password")
	path := "/admin/users/" + strconv.FormatInt(viewer.ID, 10)
	openPage(t, b, base+path)
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('input[type="checkbox"]').length`); n != 2 {
		t.Fatalf("%d checkboxes with 300 tenants, want the user's 2", n)
	}
	auditPage(t, b, path)

	b.Do(t, "type part of a name", chromedp.Focus("#user-edit-tenants-add"), chromedp.SendKeys("#user-edit-tenants-add", "enant 29"))
	b.WaitFor(t, "suggestions", `document.querySelectorAll("#user-edit-tenants-add-suggestions option").length === 11`)
	b.Do(t, "save", chromedp.KeyEvent("\r"))
	b.WaitNav(t, "the matches to tick", `document.querySelectorAll('input[type="checkbox"]').length === 13 &&
		document.activeElement && document.activeElement.id === "user-edit-tenants-add"`)
	auditPage(t, b, path+" (matches to tick)")
	if !uitest.Eval[bool](t, b, `(() => { const box = document.querySelector('input[type="checkbox"][value="`+strconv.FormatInt(ids[0], 10)+`"]');
		box.focus(); return document.activeElement === box && !box.checked; })()`) {
		t.Fatal("Tenant 295's box is missing or already ticked")
	}
	b.Do(t, "tick it by keyboard", chromedp.KeyEvent(" "))
	b.Do(t, "empty the search field and save", chromedp.Evaluate[chromedp.Void](`document.getElementById("user-edit-tenants-add").value = ""`),
		chromedp.Click(`[data-testid="user-save"]`))
	b.WaitNav(t, "the users page", `location.pathname === "/admin/users"`)
	u, err := auth.NewStore(db.Gorm).FindUser(context.Background(), viewer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(u.TenantIDs); len(u.TenantIDs) != 3 || !slices.Contains(u.TenantIDs, ids[0]) {
		t.Errorf("scope after saving = %s, want Tenant 7, 8 and 295", got)
	}
	pageClean(t, b, "users after a scope search")
}
