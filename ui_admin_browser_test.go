package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/uitest"
)

const uiPassword = "browser test password"

// uiServer starts the real server on SQLite with an admin and a support
// user, and returns its base URL.
func uiServer(t *testing.T) string {
	t.Helper()
	dbURL := testdb.Targets(t)[0].URL
	t.Setenv("SWITCHBOARD_ADMIN_PASSWORD", uiPassword)
	base, _ := startServer(t, dbURL, "--admin-email", "admin@example.com")
	db := testdb.Open(t, dbURL)
	_, err := auth.NewStore(db.Gorm).CreateUserWithPassword(context.Background(),
		&auth.User{Email: "support@example.com", Name: "Sam Support", Role: auth.RoleSupport}, uiPassword)
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// openPage navigates and waits until app.js and htmx have run.
func openPage(t *testing.T, b *uitest.Browser, url string) {
	t.Helper()
	b.Do(t, "open "+url, chromedp.Navigate(url))
	b.WaitNav(t, "app.js and htmx on "+url, `document.documentElement.dataset.js === "on" && typeof htmx === "object"`)
}

// signIn opens next, which sends the browser to the sign-in page, and signs in.
func signIn(t *testing.T, b *uitest.Browser, base, next, email string) {
	t.Helper()
	openPage(t, b, base+next)
	b.WaitFor(t, "sign-in form", `!!document.querySelector('[data-testid=sign-in]')`)
	b.Do(t, "sign in", chromedp.SendKeys("#email", email), chromedp.SendKeys("#password", uiPassword),
		chromedp.Click(`[data-testid=sign-in-submit]`))
	b.WaitNav(t, "signed in", `location.pathname === "`+next+`" && !!document.querySelector('[data-testid=current-user]')`)
}

// fetchStatus runs a fetch in the page and returns the response status.
func fetchStatus(t *testing.T, b *uitest.Browser, js string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[int](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	return v
}

func noProblems(t *testing.T, b *uitest.Browser, where string) {
	t.Helper()
	dialogs, exceptions, csp := b.Problems()
	if len(dialogs)+len(exceptions)+len(csp) > 0 {
		t.Errorf("%s: dialogs %q, exceptions %q, CSP violations %q", where, dialogs, exceptions, csp)
	}
}

// TestBrowserAdminOnboarding: on the real server an admin signs in, creates
// a tenant and an endpoint (its signing secret shown once), and a support
// user sees the tenant without edit controls and has a forced POST with a
// valid CSRF token refused (403).
func TestBrowserAdminOnboarding(t *testing.T) {
	b := uitest.New(t)
	base := uiServer(t)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(recv.Close)

	openPage(t, b, base+"/login")
	b.Screenshot(t, "signin")
	signIn(t, b, base, "/admin/tenants", "admin@example.com")
	if role := uitest.Eval[string](t, b, `document.querySelector('[data-testid=current-role]').textContent`); role != "admin" {
		t.Errorf("header role = %q, want admin", role)
	}
	b.Do(t, "new tenant", chromedp.Click(`[data-testid=new-tenant]`))
	b.WaitNav(t, "tenant form", `!!document.querySelector('#tenant-name')`)
	b.Do(t, "fill tenant", chromedp.SendKeys("#tenant-name", `Acme <b>Corp</b>`), chromedp.SendKeys("#tenant-source-id", "org-acme"),
		chromedp.Click(`[data-testid=tenant-save]`))
	b.WaitNav(t, "tenant page", `!!document.querySelector('[data-testid=tenant-source-id]')`)
	if h1 := uitest.Eval[string](t, b, `document.querySelector('h1').textContent`); h1 != "Acme <b>Corp</b>" {
		t.Errorf("tenant heading %q: the name must show as text", h1)
	}
	tenantPath := uitest.Eval[string](t, b, `location.pathname`)
	b.Do(t, "add endpoint", chromedp.Click(`[data-testid=new-endpoint]`))
	b.WaitNav(t, "endpoint form", `!!document.querySelector('#endpoint-url')`)
	b.Do(t, "fill endpoint", chromedp.SendKeys("#endpoint-url", recv.URL+"/hooks"), chromedp.Click(`[data-testid=endpoint-save]`))
	b.WaitNav(t, "signing secret shown once", `!!document.querySelector('[data-testid=secret-value]')`)
	secret := uitest.Eval[string](t, b, `document.querySelector('[data-testid=secret-value]').textContent`)
	if len(secret) < 20 {
		t.Errorf("signing secret %q looks wrong", secret)
	}
	b.Screenshot(t, "endpoint-created")
	openPage(t, b, base+tenantPath)
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('[data-testid=endpoint-row]').length`); n != 1 {
		t.Errorf("tenant page lists %d endpoints, want 1", n)
	}
	if uitest.Eval[bool](t, b, fmt.Sprintf(`document.body.innerHTML.includes(%q)`, secret)) {
		t.Error("the signing secret is shown again after creation")
	}
	b.Screenshot(t, "tenant")
	editMapping(t, b)
	openPage(t, b, base+"/admin/tenants")
	b.Screenshot(t, "tenants")
	for _, page := range []string{"sources", "users", "audit"} {
		openPage(t, b, base+"/admin/"+page)
		b.Screenshot(t, page)
	}
	openPage(t, b, base+"/admin/users/1")
	b.Screenshot(t, "user-edit")
	narrow(t, b, base, tenantPath, tenantPath+"/endpoints/1", tenantPath+"/endpoints/1/mapping")
	noProblems(t, b, "admin pages")

	s := uitest.New(t)
	signIn(t, s, base, tenantPath, "support@example.com")
	for _, sel := range []string{"tenant-actions", "new-endpoint", "endpoint-edit", "tenant-form"} {
		if uitest.Eval[bool](t, s, `!!document.querySelector('[data-testid=`+sel+`]')`) {
			t.Errorf("support sees %s", sel)
		}
	}
	status := fetchStatus(t, s, `(async () => {
		const token = document.querySelector('meta[name=csrf-token]').content;
		const r = await fetch(location.pathname + '/pause', {method: 'POST',
			headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'csrf_token=' + encodeURIComponent(token)});
		return r.status;
	})()`)
	if status != http.StatusForbidden {
		t.Errorf("support's forced POST with a valid CSRF token: %d, want 403", status)
	}
	noProblems(t, s, "support pages")
}

// editMapping opens the endpoint's mapping editor, adds a rule and watches
// the live preview follow the typing, then saves a version.
func editMapping(t *testing.T, b *uitest.Browser) {
	t.Helper()
	b.Do(t, "open the mapping editor", chromedp.Click(`[data-testid=endpoint-mapping]`))
	b.WaitNav(t, "mapping editor", `!!document.querySelector('[data-testid=rule-add]') && typeof htmx === "object"`)
	b.Do(t, "add a rule", chromedp.Click(`[data-testid=rule-add]`))
	b.Do(t, "type the rule", chromedp.SendKeys(`tbody tr:last-child input[name=rule_target]`, "who"),
		chromedp.SendKeys(`tbody tr:last-child input[name=rule_source]`, "data.candidateName"))
	// The preview follows each keystroke: wait for the whole source path's
	// value, not a half-typed path's error that also names "who".
	b.WaitFor(t, "preview shows the rule", `(document.querySelector('[data-testid=preview-output]')||{}).textContent?.includes('"who": "')`)
	before := uitest.Eval[string](t, b, `document.querySelector('[data-testid=preview-output]').textContent`)
	_, whoValue, ok := strings.Cut(before, `"who": "`)
	if !ok {
		t.Fatalf("preview before upper has no value for who: %s", before)
	}
	whoValue, _, _ = strings.Cut(whoValue, `"`)
	b.Do(t, "pick upper", chromedp.SetValue(`tbody tr:last-child select[name=rule_op]`, "upper"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('tbody tr:last-child select[name=rule_op]').dispatchEvent(new Event('change', {bubbles: true}))`))
	b.WaitFor(t, "preview changes", fmt.Sprintf(`document.querySelector('[data-testid=preview-output]').textContent !== %q`, before))
	after := uitest.Eval[string](t, b, `document.querySelector('[data-testid=preview-output]').textContent`)
	if after != strings.ToUpper(after) && !strings.Contains(after, strings.ToUpper(whoValue)) {
		t.Errorf("preview after upper: %s", after)
	}
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('#mapping-preview [data-testid=mapping-editor], #mapping-preview header').length`); n != 0 {
		t.Error("the preview pane received a whole page")
	}
	// A long source path fits its input at 1280 px (it was clipped).
	const long = "data.interviewerEvaluation.questionQuality.rating" // a real path of the samples
	w := uitest.Eval[[]int](t, b, fmt.Sprintf(`(() => { const i = document.querySelector('tbody tr:last-child input[name=rule_source]');
		const v = i.value; i.value = %q; const w = [i.scrollWidth, i.clientWidth]; i.value = v; return w; })()`, long))
	if len(w) != 2 || w[0] > w[1] {
		t.Errorf("source path %q is clipped in its input at 1280 px (text %v px wide, box %v)", long, w[0], w[1])
	}
	b.Screenshot(t, "mapping-editor")
	b.Do(t, "save", chromedp.Click(`[data-testid=mapping-save]`))
	b.WaitNav(t, "saved version", `!!document.querySelector('[data-testid=version-table]')`)
	jsonMode(t, b)
}

// jsonMode edits the whole mapping as JSON (per-event-type rule sets), saves
// it, and sees the editor reopen it as JSON with a note, then loads a preset
// and sees what it expects of the endpoint.
func jsonMode(t *testing.T, b *uitest.Browser) {
	t.Helper()
	const byEvent = `{"mode":"rules","by_event":{"interview.evaluation":{"rules":[{"target":"shout","from":"data.candidateName","ops":["trim","upper"]}]}}}`
	b.Do(t, "JSON mode", chromedp.Click(`[data-testid=mode-json]`))
	b.WaitFor(t, "JSON panel shown", `!document.querySelector('#mapping-json').closest('[data-mode-panel]').hidden`)
	b.Do(t, "type JSON", chromedp.SetValue(`#mapping-json`, byEvent),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-json').dispatchEvent(new Event('input', {bubbles: true}))`))
	b.WaitFor(t, "preview of the JSON", `(document.querySelector('[data-testid=preview-output]')||{}).textContent?.includes('"shout"')`)
	b.Do(t, "save JSON", chromedp.Click(`[data-testid=mapping-save]`))
	b.WaitNav(t, "reopened as JSON", `!!document.querySelector('[data-testid=mapping-note]')`)
	if !uitest.Eval[bool](t, b, `document.querySelector('#mapping-json').value.includes('by_event')`) {
		t.Error("the saved by_event mapping is not in the JSON view")
	}
	b.Screenshot(t, "mapping-json")
	b.Do(t, "load a preset", chromedp.SetValue(`#preset`, "kombo-assessment-result"), chromedp.Click(`[data-testid=preset-picker] button`))
	b.WaitNav(t, "preset note", `!!document.querySelector('[data-testid=preset-note]')`)
	b.Screenshot(t, "mapping-preset")
}

// narrow opens each page at 375 px: nothing may scroll sideways (wide
// tables scroll inside their own box).
func narrow(t *testing.T, b *uitest.Browser, base string, paths ...string) {
	t.Helper()
	b.Do(t, "375 px viewport", chromedp.EmulateViewport(375, 800))
	defer b.Do(t, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	for i, path := range paths {
		openPage(t, b, base+path)
		if w := uitest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > 376 {
			t.Errorf("%s at 375 px is %d px wide (scrolls sideways)", path, w)
		}
		b.Screenshot(t, fmt.Sprintf("narrow-%d", i+1))
	}
}
