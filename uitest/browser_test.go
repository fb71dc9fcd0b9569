package uitest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/views/fixtures"
)

func previewServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(PreviewHandler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// open navigates and waits until app.js and htmx have run.
func open(t *testing.T, b *Browser, url string) {
	t.Helper()
	b.Do(t, "open "+url, chromedp.Navigate(url))
	b.WaitFor(t, "app.js and htmx", `document.documentElement.dataset.js === "on" && typeof htmx === "object"`)
}

func assertClean(t *testing.T, b *Browser, where string) {
	t.Helper()
	dialogs, exceptions, csp := b.Problems()
	if len(dialogs) > 0 {
		t.Errorf("%s: a script opened dialogs %q (injected markup ran)", where, dialogs)
	}
	if len(exceptions) > 0 {
		t.Errorf("%s: uncaught exceptions: %q", where, exceptions)
	}
	if len(csp) > 0 {
		t.Errorf("%s: the page broke its own CSP: %q", where, csp)
	}
}

// TestBrowserCSPBlocksInlineScript serves a page that tries inline script,
// a data: script, an inline handler, an onerror attribute, a javascript:
// link and an inline style, with the header main sends: none of it runs,
// while htmx and app.js from /static do.
func TestBrowserCSPBlocksInlineScript(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	open(t, b, base+"/csp-probe")
	b.Do(t, "click the inline-handler button and the javascript: link",
		chromedp.Click(chromedp.ID("probe")), chromedp.Click(chromedp.ID("js-link")))
	for _, global := range []string{"__inline", "__dataURL", "__clicked", "__onerror", "__href"} {
		if ran := Eval[bool](t, b, "window."+global+" !== undefined"); ran {
			t.Errorf("window.%s is set: the CSP let that script run", global)
		}
	}
	if bg := Eval[string](t, b, "getComputedStyle(document.body).backgroundColor"); bg == "rgb(255, 0, 0)" {
		t.Error("the inline <style> applied")
	}
	if _, _, csp := b.Problems(); len(csp) == 0 {
		t.Error("Chromium reported no CSP violation for the probe page")
	}
}

// TestBrowserPages opens every screen at 375 px with hostile webhook text and
// a secret to show: no injected markup runs, nothing breaks the CSP, nothing
// throws, the page doesn't scroll sideways; a screenshot of each is saved.
func TestBrowserPages(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	b.Do(t, "375 px viewport", chromedp.EmulateViewport(375, 812))
	for _, p := range fixtures.Pages(fixtures.Flags{}) {
		open(t, b, base+"/preview/"+p.Name+"?hostile=1&secret=1")
		if n := Eval[int](t, b, `document.querySelectorAll('img[src="x"], script:not([src])').length`); n != 0 {
			t.Errorf("%s: %d injected elements in the DOM", p.Name, n)
		}
		shown := Eval[string](t, b, `document.body.innerText + [...document.querySelectorAll("input, textarea")].map(e => e.value).join(" ")`)
		if !strings.Contains(shown, fixtures.HostileScript) && p.Name != "setup" && p.Name != "error" {
			t.Errorf("%s: the hostile text is not shown as text", p.Name)
		}
		if over := Eval[int](t, b, "document.documentElement.scrollWidth - window.innerWidth"); over > 0 {
			culprits := Eval[string](t, b, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.parentElement.closest(".table-wrap, .nav-links, pre") && e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1).slice(0, 5).map(e => e.tagName + "." + e.className + "#" + e.id).join(" ")`)
			t.Errorf("%s: the page is %d px wider than the 375 px screen (%s)", p.Name, over, culprits)
		}
		b.Screenshot(t, p.Name+"-375")
		assertClean(t, b, p.Name)
	}
	b.Do(t, "1280 px viewport", chromedp.EmulateViewport(1280, 900))
	for _, name := range []string{"dashboard", "tenants", "tenant", "mapping", "deliveries", "delivery", "unrouted"} {
		open(t, b, base+"/preview/"+name)
		b.Screenshot(t, name+"-1280")
		assertClean(t, b, name)
	}
}

// TestBrowserSupportSeesNoEditControls: the support role's pages show retry
// but no configuration controls, and read-only forms are disabled.
func TestBrowserSupportSeesNoEditControls(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	open(t, b, base+"/preview/tenant?role=support")
	if n := Eval[int](t, b, `document.querySelectorAll('[data-testid="tenant-actions"], [data-testid="new-endpoint"], [data-testid="endpoint-edit"], #tenant-form').length`); n != 0 {
		t.Errorf("tenant page shows %d edit controls to support", n)
	}
	open(t, b, base+"/preview/mapping?role=support")
	if !Eval[bool](t, b, `document.querySelector('[aria-label="Target field, rule 1"]').matches(':disabled')`) {
		t.Error("mapping rules are editable for support")
	}
	open(t, b, base+"/preview/delivery?role=support")
	if !Eval[bool](t, b, `!!document.querySelector('[data-testid="delivery-retry"]')`) {
		t.Error("support has no retry button")
	}
	assertClean(t, b, "support pages")
}

// TestBrowserMappingLivePreview types into a rule and watches htmx swap the
// preview (POST with the CSRF header, under the CSP); then adds and reorders
// rules with app.js, which refreshes the preview too.
func TestBrowserMappingLivePreview(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	open(t, b, base+"/preview/mapping")
	first := `[aria-label="Target field, rule 1"]`
	b.Do(t, "type a new target", chromedp.Clear(chromedp.CSS(first)), chromedp.SendKeys(chromedp.CSS(first), "candidate.fullName"))
	b.WaitFor(t, "the preview to show the typed target",
		`document.querySelector('#mapping-preview pre') && document.querySelector('#mapping-preview pre').textContent.includes('"candidate.fullName"')`)

	if n := Eval[int](t, b, `document.querySelectorAll('#mapping-form tbody tr').length`); n != 3 {
		t.Fatalf("rules before add = %d, want 3", n)
	}
	// Clicked through the DOM: the preview pane may still be growing from
	// the last keystroke's answer, and a click by coordinates would land
	// where the button was a moment ago.
	b.Do(t, "add a rule and move the first one down",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-rule-action="add"]').click()`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-form tbody tr:first-child [data-rule-action="down"]').click()`))
	if n := Eval[int](t, b, `document.querySelectorAll('#mapping-form tbody tr').length`); n != 4 {
		t.Errorf("rules after add = %d, want 4", n)
	}
	order := Eval[string](t, b, `[...document.querySelectorAll('#mapping-form tbody [name=rule_target]')].map(e => e.value).join(",")`)
	if order != "decision,candidate.fullName,score," {
		t.Errorf("rule order = %q, want decision,candidate.fullName,score,", order)
	}
	if num := Eval[string](t, b, `document.querySelector('#mapping-form tbody tr:nth-child(4) [data-rule-number]').textContent`); num != "4" {
		t.Errorf("new row is numbered %q, want 4", num)
	}
	b.WaitFor(t, "the preview to follow the new order", `document.querySelector('#mapping-preview').textContent.includes('rules decision,candidate.fullName,score')`)
	b.Screenshot(t, "mapping-live-preview")
	assertClean(t, b, "mapping editor")
}

// TestBrowserKeyboard: the first Tab lands on the skip link, which moves
// focus to the main content.
func TestBrowserKeyboard(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	open(t, b, base+"/preview/deliveries")
	b.Do(t, "press Tab", chromedp.KeyEvent("\t"))
	if cls := Eval[string](t, b, "document.activeElement.className"); cls != "skip-link" {
		t.Fatalf("first Tab focuses %q, want the skip link", cls)
	}
	b.Do(t, "press Enter", chromedp.KeyEvent("\r"))
	b.WaitFor(t, "focus on main", `document.activeElement.id === "main"`)
	assertClean(t, b, "keyboard")
}

// TestBrowserDeliveryFiltersInURL: changing a filter swaps the table over
// htmx and pushes the filter into the address bar, so the link can be shared;
// opening that link shows the same result without JavaScript's help.
func TestBrowserDeliveryFiltersInURL(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	open(t, b, base+"/admin/deliveries?status=failed")
	rows := `[...document.querySelectorAll('[data-testid="delivery-row"]')].map(r => r.querySelector('.sub').textContent).join(",")`
	if got := Eval[string](t, b, rows); got != "#17" {
		t.Fatalf("failed deliveries = %q, want #17", got)
	}
	b.Do(t, "pick status delivered", chromedp.SetValue(chromedp.ID("f-status"), "delivered"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-status").dispatchEvent(new Event("change", {bubbles: true}))`))
	b.WaitFor(t, "the URL to carry the filter", `location.search.includes("status=delivered")`)
	b.WaitFor(t, "the table to swap", rows+` === "#16"`)
	shared := Eval[string](t, b, "location.href")
	open(t, b, shared)
	if got := Eval[string](t, b, rows); got != "#16" {
		t.Errorf("the shared link shows %q, want #16", got)
	}
	if v := Eval[string](t, b, `document.getElementById("f-status").value`); v != "delivered" {
		t.Errorf("the shared link's status filter = %q, want delivered", v)
	}
	assertClean(t, b, "deliveries filters")
}

// contrastScript returns the elements whose text contrast is below WCAG AA
// (4.5:1, or 3:1 for large text), resolving each element's background
// through its ancestors.
const contrastScript = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!el.offsetParent && getComputedStyle(el).position !== "fixed") continue;
    if (el.closest("svg, .visually-hidden, .skip-link, :disabled, option")) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own) continue;
    const cs = getComputedStyle(el);
    const fg = rgb(cs.color), b = bg(el);
    const [l1, l2] = [lum(fg), lum(b)].sort((x, y) => y - x);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const large = parseFloat(cs.fontSize) >= 24 || (parseFloat(cs.fontSize) >= 18.66 && Number(cs.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName + "." + el.className + " " + ratio.toFixed(2) + " " + el.textContent.trim().slice(0, 30));
  }
  return bad.slice(0, 8).join(" | ");
})()`

// TestBrowserContrast checks every visible text on every screen meets WCAG
// AA contrast against its rendered background.
func TestBrowserContrast(t *testing.T) {
	b := New(t)
	base := previewServer(t)
	for _, p := range fixtures.Pages(fixtures.Flags{}) {
		open(t, b, base+"/preview/"+p.Name+"?secret=1")
		if bad := Eval[string](t, b, contrastScript); bad != "" {
			t.Errorf("%s: low contrast: %s", p.Name, bad)
		}
	}
}
