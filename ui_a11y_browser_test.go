package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/static"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/uitest"
	"github.com/switchboard-gw/switchboard/views"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// The accessibility guarantees of the admin UI (WCAG 2.2 AA), held on the
// real server with Chromium: every page as admin and as support passes
// uitest.A11yAudit (structure), uitest.A11yFocus (visible, unclipped focus) and
// uitest.A11yContrast (text), titles differ, the dashboard fits an 800 px window,
// and the keyboard and screen-reader flows of TestBrowserAccessibility's
// subtests work. TestCSSContrast checks the badge, flash and focus-ring
// colours in app.css.

// a11ySite is the seeded server the accessibility test walks.
type a11ySite struct {
	base, dbURL               string
	tenant, endpoint, mapping string // page paths
	delivery, event, user     string
	adminPages, supportPages  []string
	errorPages                []string // share a title by design ("Not found")
}

// a11yServer starts the real server on SQLite with an admin, a support
// user, a tenant with an endpoint that answers and one that fails, every
// Boooply sample posted for it (delivered to the one, failed at the other),
// and an event no tenant owns.
func a11yServer(t *testing.T) a11ySite {
	t.Helper()
	dbURL := testdb.Targets(t)[0].URL
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fail") {
			http.Error(w, "ATS down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	base, logs := startServer(t, dbURL, "--retry-schedule", "20ms", "--breaker-threshold", "50")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	token := adminBearer(t, dbURL, base)
	createUser(t, dbURL, "admin@example.com", auth.RoleAdmin)
	createUser(t, dbURL, "support@example.com", auth.RoleSupport)
	apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Acme Corp","source_id":"org_acme","endpoints":[`+
		`{"url":"`+recv.URL+`/ok"},{"url":"`+recv.URL+`/fail"}]}`, 201)
	for i, name := range eventTypeNames() {
		mustPost(t, base, a11ySample(t, name, "org_acme", "a11y-"+strconv.Itoa(i)))
	}
	mustPost(t, base, a11ySample(t, "interview.evaluation", "org_not_onboarded", "a11y-held"))
	db := testdb.Open(t, dbURL)
	waitFor(t, "every delivery to finish", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'pending'") == 0 &&
			countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") > 0
	})
	var ids struct{ Tenant, Endpoint, Endpoint2, Delivery, Event, User, Admin int64 }
	for _, q := range []struct {
		dst *int64
		sql string
	}{
		{&ids.Tenant, "SELECT id FROM tenants WHERE source_id = 'org_acme'"},
		{&ids.Endpoint, "SELECT MIN(id) FROM endpoints"},
		{&ids.Endpoint2, "SELECT MAX(id) FROM endpoints"},
		{&ids.Delivery, "SELECT MIN(id) FROM deliveries WHERE status = 'failed'"},
		{&ids.Event, "SELECT MIN(id) FROM events"},
		{&ids.User, "SELECT id FROM users WHERE email = 'support@example.com'"},
		{&ids.Admin, "SELECT id FROM users WHERE email = 'admin@example.com'"},
	} {
		if err := db.Gorm.Raw(q.sql).Scan(q.dst).Error; err != nil || *q.dst == 0 {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	s := a11ySite{base: base, dbURL: dbURL,
		tenant:   fmt.Sprintf("/admin/tenants/%d", ids.Tenant),
		delivery: fmt.Sprintf("/admin/deliveries/%d", ids.Delivery),
		event:    fmt.Sprintf("/admin/events/%d", ids.Event),
		user:     fmt.Sprintf("/admin/users/%d", ids.User),
	}
	s.endpoint = fmt.Sprintf("%s/endpoints/%d", s.tenant, ids.Endpoint)
	s.mapping = s.endpoint + "/mapping"
	shared := []string{"/admin", "/admin/tenants", s.tenant, s.endpoint, s.mapping, "/admin/unrouted",
		"/admin/deliveries", s.delivery, "/admin/events", s.event, "/admin/account"}
	s.supportPages = shared
	s.adminPages = append(append([]string{}, shared...), "/admin/tenants/new", s.tenant+"/endpoints/new",
		"/admin/sources", "/admin/users", s.user, "/admin/audit",
		// Pages of the same kind, which must not share a title either.
		fmt.Sprintf("%s/endpoints/%d", s.tenant, ids.Endpoint2), fmt.Sprintf("%s/endpoints/%d/mapping", s.tenant, ids.Endpoint2),
		fmt.Sprintf("/admin/users/%d", ids.Admin))
	s.errorPages = []string{"/admin/no-such-page", "/admin/deliveries/999999"}
	return s
}

// a11ySample is Boooply's sample of eventType for sourceID with its own meetingCode.
func a11ySample(t *testing.T, eventType, sourceID, code string) []byte {
	t.Helper()
	body, err := webhooks.Sample(eventType)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(body), `"org_7234567890"`, `"`+sourceID+`"`)
	s = strings.ReplaceAll(s, "Boooply-AI-1234567890", code)
	return []byte(strings.ReplaceAll(s, "Boooply-H-1234567890", code))
}

// TestBrowserAccessibility walks every admin and support page of the real
// server (SQLite) in Chromium and drives the keyboard and screen-reader
// flows: each subtest is one guarantee of the README's UI section.
func TestBrowserAccessibility(t *testing.T) {
	b := uitest.New(t)
	s := a11yServer(t)

	t.Run("sign-in page", func(t *testing.T) {
		openPage(t, b, s.base+"/login")
		auditPage(t, b, "/login")
		b.Do(t, "a wrong password", chromedp.SendKeys("#email", "admin@example.com"), chromedp.SendKeys("#password", "not it"),
			chromedp.Click(`[data-testid=sign-in-submit]`))
		focusedOnError(t, b)
		auditPage(t, b, "/login after a wrong password")
	})
	browserSignIn(t, b, s.base, "admin@example.com", uiPassword)
	t.Run("pages as admin", func(t *testing.T) { auditPages(t, b, s, s.adminPages) })
	t.Run("sources table", func(t *testing.T) {
		token := adminBearer(t, s.dbURL, s.base)
		apiCall(t, token, "POST", s.base+"/api/v1/sources", `{"name":"Second Boooply account"}`, 201)
		openPage(t, b, s.base+"/admin/sources")
		auditPage(t, b, "/admin/sources")
	})
	t.Run("dashboard fits 800 px", func(t *testing.T) { fitsWidth(t, b, s, 800) })
	t.Run("status by more than colour", func(t *testing.T) { statusNotByColour(t, b, s) })
	t.Run("skip link", func(t *testing.T) { skipLink(t, b, s) })
	t.Run("dashboard window keeps focus", func(t *testing.T) { windowSwitchKeepsFocus(t, b, s) })
	t.Run("filter results announced", func(t *testing.T) { filterAnnounced(t, b, s) })
	t.Run("preview errors announced and tied", func(t *testing.T) { previewErrorsAnnounced(t, b, s) })
	t.Run("URL check announced and tied", func(t *testing.T) { urlCheckAnnounced(t, b, s) })
	t.Run("failed post focuses the field", func(t *testing.T) { failedPostFocusesField(t, b, s) })
	t.Run("confirmation keeps focus", func(t *testing.T) { confirmKeepsFocus(t, b, s) })
	browserSignIn(t, b, s.base, "support@example.com", uiPassword)
	t.Run("pages as support", func(t *testing.T) { auditPages(t, b, s, s.supportPages) })
}

// auditPages opens each page, audits it, and checks no two share a title;
// then the error pages, which share "Not found" by design.
func auditPages(t *testing.T, b *uitest.Browser, s a11ySite, pages []string) {
	t.Helper()
	titles := map[string]string{}
	for _, path := range pages {
		openPage(t, b, s.base+path)
		auditPage(t, b, path)
		title := uitest.Eval[string](t, b, "document.title")
		if other, ok := titles[title]; ok {
			t.Errorf("%s and %s share the title %q", other, path, title)
		}
		titles[title] = path
	}
	for _, path := range s.errorPages {
		openPage(t, b, s.base+path)
		auditPage(t, b, path)
	}
}

// auditPage runs the structure, contrast and focus audits on the open page.
func auditPage(t *testing.T, b *uitest.Browser, path string) {
	t.Helper()
	problems := uitest.Eval[[]string](t, b, uitest.A11yAudit)
	problems = append(problems, uitest.Eval[[]string](t, b, uitest.A11yContrast)...)
	// A real key press first, so the browser shows focus as for a keyboard user.
	b.Do(t, "press Tab", chromedp.KeyEvent("\t"))
	problems = append(problems, uitest.Eval[[]string](t, b, uitest.A11yFocus)...)
	for _, p := range problems {
		t.Errorf("%s: %s", path, p)
	}
}

// fitsWidth opens every admin page in a window width px wide: neither the
// page nor a table inside its box may scroll sideways.
func fitsWidth(t *testing.T, b *uitest.Browser, s a11ySite, width int64) {
	b.Do(t, "narrow window", chromedp.EmulateViewport(width, 900))
	defer b.Do(t, "desktop window", chromedp.EmulateViewport(1280, 900))
	for _, path := range s.adminPages {
		openPage(t, b, s.base+path)
		if over := uitest.Eval[int](t, b, "document.documentElement.scrollWidth - window.innerWidth"); over > 0 {
			t.Errorf("%s scrolls sideways by %d px at %d px", path, over, width)
		}
		tables := uitest.Eval[[]string](t, b, `[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth)
			.map(w => (w.querySelector('caption') || w).textContent.trim().slice(0, 40) + ' by ' + (w.scrollWidth - w.clientWidth) + ' px')`)
		for _, tbl := range tables {
			t.Errorf("%s at %d px: the table %s scrolls sideways", path, width, tbl)
		}
	}
	// The names may wrap after "." and "_", but read as they are.
	openPage(t, b, s.base+"/admin")
	got := uitest.Eval[string](t, b, `[...document.querySelectorAll('#by-type tbody th')].map(th => th.textContent.trim()).sort().join(",")`)
	names := eventTypeNames()
	sort.Strings(names)
	if want := strings.Join(names, ","); got != want {
		t.Errorf("the dashboard's event types read %q, want %q", got, want)
	}
}

// statusNotByColour: every status badge names its status in words, and
// the chart's failed bars are striped, not only red.
func statusNotByColour(t *testing.T, b *uitest.Browser, s a11ySite) {
	for _, path := range []string{"/admin/deliveries", s.delivery, "/admin/tenants", s.tenant} {
		openPage(t, b, s.base+path)
		if n := uitest.Eval[int](t, b, `[...document.querySelectorAll('.badge')].filter(e => !/\w/.test(e.textContent)).length`); n > 0 {
			t.Errorf("%s: %d badges without a word", path, n)
		}
	}
	openPage(t, b, s.base+"/admin")
	fills := uitest.Eval[[]string](t, b, `[...document.querySelectorAll('.chart .bar-bad')].map(r => getComputedStyle(r).fill)`)
	if len(fills) == 0 {
		t.Fatal("no failed bar in the chart")
	}
	for _, f := range fills {
		if !strings.HasPrefix(f, "url(") {
			t.Errorf("a failed bar is filled with %s, want the striped pattern", f)
		}
	}
}

// skipLink: the first Tab shows the skip link, Enter puts focus on <main>.
func skipLink(t *testing.T, b *uitest.Browser, s a11ySite) {
	openPage(t, b, s.base+"/admin/deliveries")
	b.Do(t, "press Tab", chromedp.KeyEvent("\t"))
	if shown := uitest.Eval[bool](t, b, `document.activeElement.matches('.skip-link') && document.activeElement.getBoundingClientRect().top >= 0`); !shown {
		t.Fatalf("first Tab focuses %q, want the skip link on screen", uitest.Eval[string](t, b, "document.activeElement.outerHTML.slice(0, 80)"))
	}
	b.Do(t, "press Enter", chromedp.KeyEvent("\r"))
	b.WaitFor(t, "focus on main", `document.activeElement.id === "main"`)
}

// windowSwitchKeepsFocus: choosing another dashboard window by keyboard
// swaps the dashboard, link included; focus lands on the new current link.
func windowSwitchKeepsFocus(t *testing.T, b *uitest.Browser, s a11ySite) {
	openPage(t, b, s.base+"/admin")
	const other = `nav[aria-label="Time window"] a[aria-current="false"]`
	label := uitest.Eval[string](t, b, `document.querySelector('`+other+`').textContent.trim()`)
	b.Do(t, "choose "+label, chromedp.Focus(other), chromedp.KeyEvent("\r"))
	b.WaitFor(t, "the dashboard of "+label, `document.querySelector('nav[aria-label="Time window"] a[aria-current="page"]')?.textContent.trim() === `+
		strconv.Quote(label)+` && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')`)
	if got := uitest.Eval[string](t, b, `document.activeElement === document.body ? "<body>" : document.activeElement.textContent.trim()`); got != label {
		t.Errorf("after the swap focus is on %q, want the link %q", got, label)
	}
}

// liveStatus is the text of the layout's live region ("" without one).
const liveStatus = `((document.getElementById('live-status') || {}).textContent || "")`

// filterAnnounced: a filter change and a search are read out with the
// number of rows, and focus stays on the control.
func filterAnnounced(t *testing.T, b *uitest.Browser, s a11ySite) {
	openPage(t, b, s.base+"/admin/deliveries")
	b.Do(t, "status failed", chromedp.Focus("#f-status"), chromedp.SetValue("#f-status", "failed"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-status').dispatchEvent(new Event('change', {bubbles: true}))`))
	b.WaitFor(t, "the result count read out", liveStatus+`.includes("shown")`)
	rows := uitest.Eval[int](t, b, `document.querySelectorAll('[data-testid=delivery-row]').length`)
	if said := uitest.Eval[string](t, b, liveStatus); !strings.HasPrefix(said, strconv.Itoa(rows)+" deliver") {
		t.Errorf("announced %q for %d rows", said, rows)
	}
	if id := uitest.Eval[string](t, b, "document.activeElement.id"); id != "f-status" {
		t.Errorf("after filtering focus is on %q, want the status select", id)
	}
	openPage(t, b, s.base+"/admin/tenants")
	b.Do(t, "search", chromedp.SendKeys("#tenant-q", "nothing like it"))
	b.WaitFor(t, "no match read out", liveStatus+` === "No tenants match."`)
}

// previewErrorsAnnounced: a jq error in the live preview is read out, and
// the text area is marked invalid and described by the error; fixing it
// is read out too.
func previewErrorsAnnounced(t *testing.T, b *uitest.Browser, s a11ySite) {
	openPage(t, b, s.base+s.mapping)
	b.Do(t, "expression mode", chromedp.Click(`input[name=mode][value=expression]`))
	b.Do(t, "broken jq", chromedp.SetValue("#mapping-expression", ".data |||"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-expression').dispatchEvent(new Event('input', {bubbles: true}))`))
	b.WaitFor(t, "the error read out", liveStatus+`.includes("error")`)
	tied := uitest.Eval[string](t, b, `(() => { const a = document.querySelector('#mapping-expression');
		const d = (a.getAttribute('aria-describedby') || '').split(' ').map(id => document.getElementById(id)).filter(Boolean);
		return a.getAttribute('aria-invalid') + ' ' + d.map(e => e.textContent.trim()).join(' | '); })()`)
	if !strings.HasPrefix(tied, "true ") || !strings.Contains(tied, "|") {
		t.Errorf("jq text area after a preview error: aria-invalid and description %q, want true and the error", tied)
	}
	b.Do(t, "fixed jq", chromedp.SetValue("#mapping-expression", "{candidate: .data.candidateName}"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-expression').dispatchEvent(new Event('input', {bubbles: true}))`))
	b.WaitFor(t, "the fix read out", liveStatus+`.includes("no errors")`)
}

// urlCheckAnnounced: the endpoint URL's live check is read out and
// describes the URL field.
func urlCheckAnnounced(t *testing.T, b *uitest.Browser, s a11ySite) {
	openPage(t, b, s.base+s.tenant+"/endpoints/new")
	b.Do(t, "type a URL", chromedp.SendKeys("#endpoint-url", "ftp://example.com/hook"), chromedp.KeyEvent("\t"))
	b.WaitFor(t, "the check's answer", `document.querySelector('#url-check').textContent.trim() !== ""`)
	b.WaitFor(t, "the answer read out", liveStatus+` !== "" && `+liveStatus+` === document.querySelector('#url-check').textContent.replace(/\s+/g, " ").trim()`)
	if by := uitest.Eval[string](t, b, `document.querySelector('#endpoint-url').getAttribute('aria-describedby') || ""`); !strings.Contains(by, "url-check") {
		t.Errorf("the URL field is described by %q, want the check's answer too", by)
	}
}

// failedPostFocusesField: a form that comes back with an error has focus
// on the control at fault.
func failedPostFocusesField(t *testing.T, b *uitest.Browser, s a11ySite) {
	openPage(t, b, s.base+"/admin/tenants/new")
	b.Do(t, "a taken sourceId", chromedp.SendKeys("#tenant-name", "Acme again"), chromedp.SendKeys("#tenant-source-id", "org_acme"),
		chromedp.Click(`[data-testid=tenant-save]`))
	focusedOnError(t, b)
	auditPage(t, b, "/admin/tenants/new after a failed post")
}

// focusedOnError waits for the page a failed form post answers with and
// checks focus is on the first control at fault, else on the form's message.
func focusedOnError(t *testing.T, b *uitest.Browser) {
	t.Helper()
	b.WaitNav(t, "the form with its error", `document.readyState === "complete" && document.documentElement.dataset.js === "on" &&
		!!document.querySelector('[aria-invalid="true"], [data-testid=form-error]')`)
	want := uitest.Eval[string](t, b, `(() => { const e = document.querySelector('main form [aria-invalid="true"]') ||
		document.querySelector('[data-testid=form-error]'); return e.id || e.dataset.testid; })()`)
	if got := uitest.Eval[string](t, b, "document.activeElement.id || document.activeElement.dataset.testid || document.activeElement.tagName"); got != want {
		t.Errorf("after the failed post focus is on %q, want %q (what is at fault)", got, want)
	}
}

// confirmKeepsFocus: a confirmation opened by keyboard and cancelled
// leaves focus on the button and the page where it was.
func confirmKeepsFocus(t *testing.T, b *uitest.Browser, s a11ySite) {
	openPage(t, b, s.base+s.tenant)
	b.Problems()
	b.Do(t, "Disable by keyboard", chromedp.Focus(`[data-testid=tenant-disable]`), chromedp.KeyEvent("\r"))
	b.WaitFor(t, "focus back on the button", `document.activeElement.dataset.testid === "tenant-disable"`)
	dialogs, _, _ := b.Problems()
	if len(dialogs) != 1 || !strings.Contains(dialogs[0], "Disable this tenant?") {
		t.Errorf("dialogs %q, want the Disable confirmation", dialogs)
	}
	if path := uitest.Eval[string](t, b, "location.pathname"); path != s.tenant {
		t.Errorf("cancelling left the page for %s", path)
	}
}

// TestCSSContrast computes from app.css the contrast of every status
// badge's and flash message's text on its background (WCAG AA: 4.5:1; the
// badges carry the status as a word, never by colour alone) and of the
// focus ring on the page, panel and header backgrounds (3:1).
func TestCSSContrast(t *testing.T) {
	css, err := static.FS.ReadFile("app.css")
	if err != nil {
		t.Fatal(err)
	}
	rules := uitest.CSSRules(string(css))
	vars := rules[":root"]
	color := func(selector, property string) [3]float64 {
		t.Helper()
		v := rules[selector][property]
		if m := regexp.MustCompile(`^var\((--[\w-]+)\)$`).FindStringSubmatch(v); m != nil {
			v = vars[m[1]]
		}
		c, ok := uitest.HexColor(v)
		if !ok {
			t.Fatalf("%s { %s: %q }: not a colour", selector, property, rules[selector][property])
		}
		return c
	}
	type pair struct {
		name    string
		fg, bg  [3]float64
		minimum float64
	}
	var pairs []pair
	for _, kind := range []string{views.BadgeOK, views.BadgeWarn, views.BadgeBad, views.BadgeInfo, views.BadgeNeutral} {
		sel := ".badge-" + kind
		pairs = append(pairs, pair{sel, color(sel, "color"), color(sel, "background"), 4.5})
	}
	for _, kind := range []string{views.FlashSuccess, views.FlashError, views.FlashInfo, views.FlashWarning} {
		sel := ".flash-" + kind
		pairs = append(pairs, pair{sel, color(sel, "color"), color(sel, "background"), 4.5})
	}
	focus := color(":root", "--focus")
	pairs = append(pairs,
		pair{"focus ring on the page", focus, color(":root", "--bg"), 3},
		pair{"focus ring on a panel", focus, color(":root", "--panel"), 3},
		pair{"focus ring in the header", focus, color(".site-header", "background"), 3})
	for _, p := range pairs {
		if r := uitest.Contrast(p.fg, p.bg); r < p.minimum {
			t.Errorf("%s: contrast %.2f:1, want at least %.1f:1", p.name, r, p.minimum)
		}
	}
}
