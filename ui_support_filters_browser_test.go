package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/uitest"
)

// TestBrowserDeliveryFiltersKeepActions: on the deliveries page, changing a
// filter swaps the results over htmx; the bulk retry and the CSV download
// must follow the new filters, not keep the ones the page was opened with
// (the bulk retry once stayed on tenant A while the list showed tenant B).
// The CSV holds what the filters select, in the user's scope.
func TestBrowserDeliveryFiltersKeepActions(t *testing.T) {
	b := uitest.New(t)
	dbURL := testdb.Targets(t)[0].URL
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "ATS down", http.StatusInternalServerError)
	}))
	t.Cleanup(recv.Close)
	base, logs := startServer(t, dbURL, "--retry-schedule", "20ms", "--breaker-threshold", "50")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	token := adminBearer(t, dbURL, base)
	createUser(t, dbURL, "support-filters@example.com", auth.RoleSupport)
	ids := map[string]string{}
	for _, src := range []string{"org_filters_a", "org_filters_b"} {
		ans := apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"T `+src+`","source_id":"`+src+`","endpoints":[{"url":"`+recv.URL+`/ats"}]}`, 201)
		ids[src] = strconv.FormatFloat(ans["id"].(float64), 'f', 0, 64)
		mustPost(t, base, sampleFor(t, src, "m-"+src))
	}
	// Webhook text without a break: a long meetingCode and candidate name must wrap, not widen the page.
	longCode, longName := "MC-"+strings.Repeat("X", 120), strings.Repeat("Y", 150)
	mustPost(t, base, []byte(strings.Replace(string(sampleFor(t, "org_filters_a", longCode)), "Jane Doe", longName, 1)))
	db := testdb.Open(t, dbURL)
	waitFor(t, "the three deliveries to fail", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 3
	})
	a, bb := ids["org_filters_a"], ids["org_filters_b"]

	browserSignIn(t, b, base, "support-filters@example.com", "browser test password")
	openPage(t, b, base+"/admin/deliveries?status=failed&tenant="+a)
	action := `(document.querySelector('[data-testid="bulk-retry"]')?.form?.getAttribute('action') || '')`
	export := `(document.querySelector('[data-testid="export-csv"]')?.getAttribute('href') || '')`
	if got := uitest.Eval[string](t, b, action); !strings.Contains(got, "tenant="+a) {
		t.Fatalf("bulk retry of tenant A: form action %q", got)
	}
	// The tenant field takes a name (or sourceId): typed, then left.
	uitest.Eval[bool](t, b, `(() => { const s = document.getElementById('f-tenant'); s.value = 'T org_filters_b';
		s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
	b.WaitFor(t, "the list of tenant B", `location.search.includes("tenant=`+bb+`") &&
		document.querySelector('[data-testid="delivery-table"]').innerText.includes("m-org_filters_b")`)
	if got := uitest.Eval[string](t, b, action); !strings.Contains(got, "tenant="+bb) || strings.Contains(got, "tenant="+a+"&") || strings.HasSuffix(got, "tenant="+a) {
		t.Errorf("after choosing tenant B the bulk retry posts %q, want tenant B's filters", got)
	}
	href := uitest.Eval[string](t, b, export)
	if !strings.Contains(href, "tenant="+bb) {
		t.Fatalf("after choosing tenant B the CSV link is %q", href)
	}
	csv := uitest.Eval[string](t, b, `(() => { const x = new XMLHttpRequest(); x.open("GET", `+strconv.Quote(href)+`, false); x.send();
		return x.status + " " + x.getResponseHeader("Content-Type") + "\n" + x.responseText; })()`)
	if !strings.HasPrefix(csv, "200 text/csv") || !strings.Contains(csv, "m-org_filters_b") || strings.Contains(csv, "m-org_filters_a") ||
		!strings.Contains(csv, "endpoint answered 500") {
		t.Errorf("CSV of tenant B:\n%s", csv)
	}
	pageClean(t, b, "deliveries after a filter change")

	// At 800 px the list of failures, Retry buttons included, fits its box.
	b.Do(t, "800 px viewport", chromedp.EmulateViewport(800, 900))
	openPage(t, b, base+"/admin/deliveries?status=failed")
	b.WaitFor(t, "the failures", `document.querySelectorAll('[data-testid="delivery-retry"]').length === 3`)
	if over := uitest.Eval[int](t, b, `(() => { const w = document.querySelector('#delivery-table .table-wrap'); return w.scrollWidth - w.clientWidth; })()`); over > 0 {
		t.Errorf("at 800 px the deliveries table scrolls sideways by %d px (Retry is out of view)", over)
	}
	b.Screenshot(t, "support-deliveries-failed-800")
	var longID, longEvent int64
	if err := db.Gorm.Raw("SELECT deliveries.id, events.id FROM deliveries JOIN events ON events.id = deliveries.event_id WHERE events.meeting_code = ?", longCode).
		Row().Scan(&longID, &longEvent); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/deliveries/" + strconv.FormatInt(longID, 10), "/admin/events/" + strconv.FormatInt(longEvent, 10), "/admin/events"} {
		openPage(t, b, base+path)
		if over := uitest.Eval[int](t, b, "document.documentElement.scrollWidth - window.innerWidth"); over > 0 {
			t.Errorf("%s scrolls sideways by %d px at 800 px", path, over)
		}
		if over := uitest.Eval[int](t, b, `(() => { const w = document.querySelector('.table-wrap'); return w ? w.scrollWidth - w.clientWidth : 0; })()`); over > 0 {
			t.Errorf("%s: its table scrolls sideways by %d px at 800 px", path, over)
		}
	}
}

// TestBrowserPagerKeyboard: "Next page" by keyboard swaps the table over
// htmx; focus and the view move to the new table's top (they stayed on a
// removed link at the bottom, so the next Tab started over at the page top).
func TestBrowserPagerKeyboard(t *testing.T) {
	b := uitest.New(t)
	dbURL := testdb.Targets(t)[0].URL
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(recv.Close)
	base, _ := startServer(t, dbURL)
	token := adminBearer(t, dbURL, base)
	createUser(t, dbURL, "viewer-pager@example.com", auth.RoleViewer)
	apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Pager Co","source_id":"org_pager","endpoints":[{"url":"`+recv.URL+`/ats"}]}`, 201)
	for i := range 52 {
		mustPost(t, base, sampleFor(t, "org_pager", "m-pager-"+strconv.Itoa(i)))
	}
	browserSignIn(t, b, base, "viewer-pager@example.com", "browser test password")
	openPage(t, b, base+"/admin/deliveries")
	b.WaitFor(t, "a full first page", `document.querySelectorAll('[data-testid="delivery-row"]').length === 50`)
	b.Do(t, "Next page by keyboard", chromedp.Focus(chromedp.CSS(`[data-testid="pager-next"]`)), chromedp.KeyEvent("\r"))
	b.WaitFor(t, "the second page", `location.search.includes("after=") && document.querySelectorAll('[data-testid="delivery-row"]').length === 2`)
	b.WaitFor(t, "focus on the new table", `document.activeElement && document.activeElement.id === "delivery-table"`)
	if top := uitest.Eval[float64](t, b, `document.getElementById("delivery-table").getBoundingClientRect().top`); top < -1 || top > 900 {
		t.Errorf("the new table's top is at %.0f px in the 900 px window, want it in view", top)
	}
	pageClean(t, b, "deliveries page 2")

	// The session ends (signed out elsewhere, expired); the next pager click goes to sign in,
	// back to this list afterwards, instead of swapping the sign-in page in as an empty table.
	if st := uitest.Eval[int](t, b, `(() => { const x = new XMLHttpRequest(); x.open("POST", "/api/v1/auth/logout", false);
		x.setRequestHeader("X-CSRF-Token", document.querySelector('meta[name="csrf-token"]').content); x.send(); return x.status; })()`); st >= 300 {
		t.Fatalf("sign out: HTTP %d", st)
	}
	b.Do(t, "First page after the session ended", chromedp.Click(chromedp.CSS(`[data-pager-link]`)))
	b.WaitNav(t, "the sign-in page", `location.pathname === "/login" && new URLSearchParams(location.search).get("next") === "/admin/deliveries" &&
		document.querySelector('[data-testid="sign-in"]') !== null && document.querySelector('[data-testid="delivery-table"]') === null`)
}
