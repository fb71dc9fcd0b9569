package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/uitest"
)

// TestBrowserEndpointForm: the endpoint form's live URL check refuses a
// placeholder no event fills, the delivery-policy inputs line up, the page
// that shows a new signing secret puts the endpoint's own address in the
// address bar (a reload is a GET: no second endpoint, no secret), and a
// support user sees greyed, read-only fields.
func TestBrowserEndpointForm(t *testing.T) {
	b := uitest.New(t)
	base := uiServer(t)
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(recv.Close)

	signIn(t, b, base, "/admin/tenants/new", "admin@example.com")
	b.Do(t, "fill tenant", chromedp.SendKeys("#tenant-name", "Initech"), chromedp.SendKeys("#tenant-source-id", "org-initech"),
		chromedp.Click(`[data-testid=tenant-save]`))
	b.WaitNav(t, "tenant page", `!!document.querySelector('[data-testid=tenant-source-id]')`)
	tenantPath := uitest.Eval[string](t, b, `location.pathname`)
	openPage(t, b, base+tenantPath+"/endpoints/new")

	// Rate limit (one-line hint) beside Health probe URL (three lines) was 54 px tall.
	boxes := uitest.Eval[[]float64](t, b, `['#endpoint-timeout-ms', '#endpoint-rate-limit-per-second', '#endpoint-probe-url'].flatMap(s => {
		const r = document.querySelector(s).getBoundingClientRect(); return [r.height, r.top]; })`)
	if len(boxes) != 6 || boxes[0] != boxes[2] || boxes[2] != boxes[4] || boxes[3] != boxes[5] {
		t.Errorf("timeout, rate limit and probe URL inputs (height, top) = %v: want one height, and rate limit level with probe URL", boxes)
	}

	setURL := func(u string) {
		t.Helper()
		b.Do(t, "type URL "+u, chromedp.SetValue("#endpoint-url", u),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#endpoint-url').dispatchEvent(new Event('change', {bubbles: true}))`))
	}
	setURL(recv.URL + "/i/{{meetingCode}}")
	b.WaitFor(t, "live check refuses {{meetingCode}}", `document.querySelector('#url-check').textContent.includes('did you mean {{data.meetingCode}}?')`)
	setURL(recv.URL + "/i/{{data.meetingCode}}")
	b.WaitFor(t, "live check accepts {{data.meetingCode}}", `document.querySelector('#url-check').textContent.includes('can be called')`)
	b.Screenshot(t, "endpoint-url-check")

	b.Do(t, "save endpoint", chromedp.Click(`[data-testid=endpoint-save]`))
	b.WaitNav(t, "signing secret shown", `!!document.querySelector('[data-testid=secret-value]') && document.documentElement.dataset.js === "on"`)
	endpointPath := tenantPath + "/endpoints/1"
	if got := uitest.Eval[string](t, b, `location.pathname`); got != endpointPath {
		t.Errorf("address after creating the endpoint = %s, want its page %s", got, endpointPath)
	}
	b.Do(t, "reload", chromedp.Evaluate[chromedp.Void](`setTimeout(() => location.reload(), 0)`))
	b.WaitNav(t, "reloaded endpoint page", `document.readyState === "complete" && document.documentElement.dataset.js === "on" &&
		!!document.querySelector('[data-testid=endpoint-form]') && !document.querySelector('[data-testid=secret-once]')`)
	openPage(t, b, base+tenantPath)
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('[data-testid=endpoint-row]').length`); n != 1 {
		t.Errorf("after a reload of the creation page the tenant has %d endpoints, want 1", n)
	}
	noProblems(t, b, "admin endpoint pages")

	s := uitest.New(t)
	signIn(t, s, base, endpointPath, "support@example.com")
	if !uitest.Eval[bool](t, s, `!!document.querySelector('[data-testid=read-only-note]')`) {
		t.Error("support sees no read-only note on the endpoint form")
	}
	for _, sel := range []string{"#endpoint-url", "#endpoint-timeout-ms", "#endpoint-method"} {
		bg := uitest.Eval[string](t, s, fmt.Sprintf(`getComputedStyle(document.querySelector(%q)).backgroundColor`, sel))
		if bg == "rgb(255, 255, 255)" {
			t.Errorf("disabled %s is white like an editable field", sel)
		}
	}
	s.Screenshot(t, "support-endpoint-read-only")
	noProblems(t, s, "support endpoint page")
}
