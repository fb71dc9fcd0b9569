package main

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/uitest"
)

// TestBrowserEndpointOAuth2Fields: the endpoint form shows the OAuth2 client
// credential fields when the auth type is oauth2, and only then; bullhorn
// shows its own fields and the shared client id.
func TestBrowserEndpointOAuth2Fields(t *testing.T) {
	b := uitest.New(t)
	base := uiServer(t)
	signIn(t, b, base, "/admin/tenants/new", "admin@example.com")
	b.Do(t, "fill tenant", chromedp.SendKeys("#tenant-name", "OAuth Co"), chromedp.SendKeys("#tenant-source-id", "org-oauth-browser"),
		chromedp.Click(`[data-testid=tenant-save]`))
	b.WaitNav(t, "tenant page", `!!document.querySelector('[data-testid=tenant-source-id]')`)
	openPage(t, b, base+uitest.Eval[string](t, b, `location.pathname`)+"/endpoints/new")

	shown := func() bool {
		return uitest.Eval[bool](t, b, `!document.querySelector('[data-testid=endpoint-oauth2]').hidden && !!document.querySelector('#endpoint-oauth2-token-url').offsetParent`)
	}
	choose := func(authType string) {
		t.Helper()
		b.Do(t, "auth type "+authType, chromedp.SetValue("#endpoint-auth-type", authType),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#endpoint-auth-type').dispatchEvent(new Event('change', {bubbles: true}))`))
	}
	if shown() {
		t.Error("OAuth2 fields shown for auth type none")
	}
	choose("oauth2")
	if !shown() {
		t.Error("OAuth2 fields hidden for auth type oauth2")
	}
	b.Screenshot(t, "endpoint-oauth2-fields")
	choose("bearer")
	if shown() {
		t.Error("OAuth2 fields shown for auth type bearer")
	}
	// bullhorn shares the client id with oauth2 and has its own fields.
	visible := func(sel string) bool {
		return uitest.Eval[bool](t, b, `!!document.querySelector('`+sel+`').offsetParent`)
	}
	choose("bullhorn")
	if shown() || !visible("#endpoint-bullhorn-username") || !visible("#endpoint-bullhorn-password") || !visible("#endpoint-oauth2-client-id") {
		t.Error("auth type bullhorn: want the Bullhorn fields and the client id shown, the token URL hidden")
	}
	choose("oauth2")
	if !shown() || visible("#endpoint-bullhorn-username") || !visible("#endpoint-oauth2-client-id") {
		t.Error("auth type oauth2: want the OAuth2 fields and the client id shown, the Bullhorn fields hidden")
	}
	noProblems(t, b, "endpoint form with oauth2")
}
