package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/switchboard-gw/switchboard/uitest"
)

// TestBrowserMappingTextError: Add rule from the keyboard moves focus to
// the new row; a jq program that doesn't parse fails its
// save with the message under the program (aria-invalid); once the admin
// fixes it, the live preview clears that message instead of leaving it
// beside a program that now works.
func TestBrowserMappingTextError(t *testing.T) {
	b := uitest.New(t)
	base := uiServer(t)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(recv.Close)

	signIn(t, b, base, "/admin/tenants/new", "admin@example.com")
	b.Do(t, "fill tenant", chromedp.SendKeys("#tenant-name", "Text Co"), chromedp.SendKeys("#tenant-source-id", "org-text"),
		chromedp.Click(`[data-testid=tenant-save]`))
	b.WaitNav(t, "tenant page", `!!document.querySelector('[data-testid=new-endpoint]')`)
	b.Do(t, "add endpoint", chromedp.Click(`[data-testid=new-endpoint]`))
	b.WaitNav(t, "endpoint form", `!!document.querySelector('#endpoint-url')`)
	b.Do(t, "fill endpoint", chromedp.SendKeys("#endpoint-url", recv.URL+"/hooks"), chromedp.Click(`[data-testid=endpoint-save]`))
	b.WaitNav(t, "endpoint created", `!!document.querySelector('[data-testid=endpoint-mapping-editor]')`)
	b.Do(t, "open the mapping editor", chromedp.Click(`[data-testid=endpoint-mapping-editor]`))
	b.WaitNav(t, "mapping editor", `!!document.querySelector('#mapping-expression') && typeof htmx === "object"`)

	// Add rule from the keyboard lands in the new row's first field.
	b.Do(t, "add a rule with Enter", chromedp.Focus(`[data-testid=rule-add]`), chromedp.KeyEvent(kb.Enter))
	b.WaitFor(t, "a new row", `document.querySelectorAll('[data-rules] tbody tr').length === 1`)
	if got := uitest.Eval[string](t, b, `document.activeElement.getAttribute('aria-label') || document.activeElement.tagName`); got != "Target field, rule 1" {
		t.Errorf("focus after Add rule: %q, want the new row's target field", got)
	}
	b.Do(t, "remove it", chromedp.Click(`[data-rules] tbody tr [data-testid=rule-remove]`))
	b.Do(t, "jq mode", chromedp.Click(`input[name=mode][value=expression]`))
	b.WaitFor(t, "jq panel shown", `!document.querySelector('#mapping-expression').closest('[data-mode-panel]').hidden`)
	b.Do(t, "type a broken program", chromedp.SendKeys("#mapping-expression", "{name: .data.candidateName"))
	b.Do(t, "save", chromedp.Click(`[data-testid=mapping-save]`))
	b.WaitNav(t, "the error under the program", `!!document.querySelector('#mapping-expression-error')`)
	if !uitest.Eval[bool](t, b, `document.querySelector('#mapping-expression').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the program is not marked invalid after the failed save")
	}
	if v := uitest.Eval[string](t, b, `document.querySelector('#mapping-expression').value`); v != "{name: .data.candidateName" {
		t.Errorf("the program was not kept: %q", v)
	}
	b.Do(t, "fix the program", chromedp.SetValue("#mapping-expression", "{name: .data.candidateName}"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-expression').dispatchEvent(new Event('input', {bubbles: true}))`))
	b.WaitFor(t, "preview of the fixed program, settled", `(document.querySelector('[data-testid=preview-output]')||{}).textContent?.includes('"name"') &&
		!document.querySelector('#mapping-preview').matches('.htmx-settling, .htmx-swapping')`)
	if uitest.Eval[bool](t, b, `!!document.querySelector('#mapping-expression-error')`) {
		t.Error("the fixed program still shows the failed save's error under it")
	}
	if uitest.Eval[bool](t, b, `document.querySelector('#mapping-expression').hasAttribute('aria-invalid')`) {
		t.Error("the fixed program is still marked invalid")
	}
	if d := uitest.Eval[string](t, b, `document.querySelector('#mapping-expression').getAttribute('aria-describedby')`); d != "mapping-expression-hint" {
		t.Errorf("aria-describedby after the fix = %q, want the hint alone", d)
	}
	b.Do(t, "break it again", chromedp.SetValue("#mapping-expression", "{name: .data.candidateName}}"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mapping-expression').dispatchEvent(new Event('input', {bubbles: true}))`))
	b.WaitFor(t, "preview error, settled", `!!document.querySelector('[data-testid=preview-errors]') &&
		!document.querySelector('#mapping-preview').matches('.htmx-settling, .htmx-swapping')`)
	if !uitest.Eval[bool](t, b, `document.querySelector('#mapping-expression').getAttribute('aria-invalid') === 'true' &&
		document.querySelector('#mapping-expression').getAttribute('aria-describedby').includes('preview-error-1')`) {
		t.Error("a program the live preview can't parse is not marked invalid, described by the preview's message")
	}
	noProblems(t, b, "mapping editor")
}
