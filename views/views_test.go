package views_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/switchboard-gw/switchboard/views"
	"github.com/switchboard-gw/switchboard/views/fixtures"
)

// render renders every fixture page for f into a map name -> HTML.
func render(t testing.TB, f fixtures.Flags) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range fixtures.Pages(f) {
		var buf bytes.Buffer
		if err := p.View.Render(context.Background(), &buf); err != nil {
			t.Fatalf("%s: render: %v", p.Name, err)
		}
		out[p.Name] = buf.String()
	}
	return out
}

func comboName(f fixtures.Flags) string {
	return fmt.Sprintf("edit=%v,retry=%v,manage=%v", f.CanEdit, f.CanRetry, f.CanManage)
}

// TestPagesRender renders each page for each permission combination: a full
// document with the signed-in user's name and role, and the CSRF token.
func TestPagesRender(t *testing.T) {
	for _, f := range fixtures.Combos() {
		for name, doc := range render(t, f) {
			if !strings.HasPrefix(doc, "<!doctype html>") && !strings.HasPrefix(doc, "<!DOCTYPE html>") {
				t.Errorf("%s %s: not a full document: %.60q", comboName(f), name, doc)
			}
			if !strings.Contains(doc, `name="csrf-token" content="csrf-token-fixture"`) {
				t.Errorf("%s %s: no csrf-token meta", comboName(f), name)
			}
			if name == "sign-in" || name == "setup" {
				if strings.Contains(doc, `data-testid="current-user"`) {
					t.Errorf("%s: shows a signed-in user", name)
				}
				continue
			}
			if !strings.Contains(doc, "Ada Admin") || !strings.Contains(doc, `data-testid="current-role">`+role(f)+"<") {
				t.Errorf("%s %s: header lacks the user's name or role %q", comboName(f), name, role(f))
			}
		}
	}
}

func role(f fixtures.Flags) string {
	switch {
	case f.CanManage:
		return "admin"
	case f.CanRetry:
		return "support"
	}
	return "viewer"
}

// controls lists, per page, the data-testid of controls that must appear
// exactly when a permission is granted.
var controls = []struct {
	page, testid string
	perm         string // "edit", "retry" or "manage"
}{
	{"tenants", "new-tenant", "edit"},
	{"tenant", "tenant-actions", "edit"},
	{"tenant", "tenant-rotate", "edit"},
	{"tenant", "new-endpoint", "edit"},
	{"tenant", "endpoint-edit", "edit"},
	{"tenant", "tenant-form", "edit"},
	{"endpoint", "endpoint-save", "edit"},
	{"endpoint", "endpoint-rotate", "edit"},
	{"endpoint", "endpoint-delete", "edit"},
	{"mapping", "mapping-save", "edit"},
	{"mapping", "rule-add", "edit"},
	{"mapping", "rule-remove", "edit"},
	{"mapping", "preset-picker", "edit"},
	{"mapping", "version-restore", "edit"},
	{"deliveries", "delivery-retry", "retry"},
	{"delivery", "delivery-retry", "retry"},
	{"delivery", "delivery-replay", "retry"},
	{"unrouted", "create-tenant-for-source", "edit"},
	{"unrouted", "deliver-held", "retry"},
	{"sources", "source-form", "edit"},
	{"sources", "source-rotate", "edit"},
	{"users", "user-form", "manage"},
	{"users", "token-form", "manage"},
	{"users", "token-revoke", "manage"},
	{"users", "user-disable", "manage"},
	{"dashboard", "nav-users", "manage"},
	{"dashboard", "nav-audit", "manage"},
	{"dashboard", "nav-sources", "manage"},
}

// TestPermissionControls checks each control is present exactly when the
// page's permission boolean allows it, for every combination.
func TestPermissionControls(t *testing.T) {
	for _, f := range fixtures.Combos() {
		t.Run(comboName(f), func(t *testing.T) {
			docs := render(t, f)
			for _, c := range controls {
				want := map[string]bool{"edit": f.CanEdit, "retry": f.CanRetry, "manage": f.CanManage}[c.perm]
				got := strings.Contains(docs[c.page], `data-testid="`+c.testid+`"`)
				if got != want {
					t.Errorf("%s: control %q present = %v, want %v", c.page, c.testid, got, want)
				}
			}
			// Read-only forms are disabled as a whole, not just missing a button.
			for _, page := range []string{"endpoint", "mapping"} {
				disabled := strings.Contains(docs[page], `<fieldset class="plain" disabled`)
				if disabled == f.CanEdit {
					t.Errorf("%s: form fieldset disabled = %v with CanEdit %v", page, disabled, f.CanEdit)
				}
			}
		})
	}
}

// TestHostileStringsEscaped feeds script and attribute-breaking strings
// through every field a webhook controls: they come out as text.
func TestHostileStringsEscaped(t *testing.T) {
	for _, f := range fixtures.Combos() {
		f.Hostile = true
		for name, doc := range render(t, f) {
			for _, raw := range []string{fixtures.HostileScript, fixtures.HostileAttr, "<img src=x"} {
				if strings.Contains(doc, raw) {
					t.Errorf("%s %s: hostile string %q rendered unescaped", comboName(f), name, raw)
				}
			}
			if name != "setup" && name != "error" && !strings.Contains(doc, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("%s %s: the hostile text is missing (escaped) — the fixture no longer exercises this page", comboName(f), name)
			}
			checkMarkup(t, name, doc)
		}
	}
}

// checkMarkup walks the HTML as a browser tokenizes it: no inline script or
// event handler (the CSP forbids them), no style attributes, no element the
// fixtures didn't put there, unique kebab-case ids, every hx-target present,
// and every form control labelled.
func checkMarkup(t *testing.T, page, doc string) {
	t.Helper()
	ids := map[string]int{}
	labelFor := map[string]bool{}
	var targets, unlabelled []string
	labelDepth := 0
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		if tt == html.EndTagToken && tok.Data == "label" {
			labelDepth--
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		attrs := map[string]string{}
		for _, a := range tok.Attr {
			attrs[a.Key] = a.Val
			if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-on") || a.Key == "style" {
				t.Errorf("%s: <%s %s=%q>: inline handlers and styles break the CSP", page, tok.Data, a.Key, a.Val)
			}
		}
		switch tok.Data {
		case "script":
			if attrs["src"] == "" {
				t.Errorf("%s: inline <script>", page)
			}
		case "img":
			if attrs["src"] == "x" {
				t.Errorf("%s: an injected <img> became an element", page)
			}
		case "label":
			labelDepth++
			if attrs["for"] != "" {
				labelFor[attrs["for"]] = true
			}
		case "input", "select", "textarea":
			if attrs["type"] != "hidden" && attrs["aria-label"] == "" && labelDepth == 0 {
				unlabelled = append(unlabelled, tok.Data+"#"+attrs["id"])
			}
		}
		if id, ok := attrs["id"]; ok {
			ids[id]++
		}
		if tg := attrs["hx-target"]; tg != "" {
			targets = append(targets, tg)
		}
	}
	kebab := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q used %d times", page, id, n)
		}
		if !kebab.MatchString(id) {
			t.Errorf("%s: id %q is not kebab-case", page, id)
		}
	}
	for _, tg := range targets {
		if !strings.HasPrefix(tg, "#") || ids[tg[1:]] == 0 {
			t.Errorf("%s: hx-target %q has no element with that id on the page", page, tg)
		}
	}
	for _, c := range unlabelled {
		id := c[strings.Index(c, "#")+1:]
		if id == "" || !labelFor[id] {
			t.Errorf("%s: %s has no label", page, c)
		}
	}
}

// TestSecretsShownOnce: a new secret appears exactly once, inside the
// shown-once box; without one, no secret-looking value appears at all;
// stored secrets and credential headers are never rendered.
func TestSecretsShownOnce(t *testing.T) {
	withSecret := map[string]bool{"tenant": true, "endpoint": true, "sources": true, "users": true}
	for _, f := range fixtures.Combos() {
		f.WithSecret = true
		for name, doc := range render(t, f) {
			n := strings.Count(doc, fixtures.ShownOnce)
			if !withSecret[name] {
				if n != 0 {
					t.Errorf("%s: secret rendered %d times on a page that has no new secret", name, n)
				}
				continue
			}
			if n != 1 {
				t.Fatalf("%s: secret rendered %d times, want exactly 1", name, n)
			}
			box := strings.Index(doc, `data-testid="secret-once"`)
			end := strings.Index(doc[max(box, 0):], "</section>")
			at := strings.Index(doc, fixtures.ShownOnce)
			if box < 0 || end < 0 || at < box || at > box+end {
				t.Errorf("%s: secret rendered outside the shown-once box", name)
			}
		}
		f.WithSecret = false
		for name, doc := range render(t, f) {
			if strings.Contains(doc, fixtures.ShownOnce) || strings.Contains(doc, `data-testid="secret-once"`) {
				t.Errorf("%s: secret box rendered without a new secret", name)
			}
		}
	}
	docs := render(t, fixtures.Flags{CanEdit: true, CanRetry: true, CanManage: true})
	for _, leak := range []string{"sk_live_do_not_show", "key_do_not_show"} {
		if strings.Contains(docs["delivery"], leak) {
			t.Errorf("delivery: credential header value %q rendered", leak)
		}
	}
	if !strings.Contains(docs["delivery"], "[redacted]") {
		t.Error("delivery: no redacted header shown")
	}
	if !regexp.MustCompile(`<input type="password" id="endpoint-auth-secret" name="auth_secret" value=""`).MatchString(docs["endpoint"]) {
		t.Error("endpoint: the stored-secret input is not an empty password field")
	}
}

// TestEmptyStates: lists without rows say so and offer the next step.
func TestEmptyStates(t *testing.T) {
	admin := render(t, fixtures.Flags{CanEdit: true, CanRetry: true, CanManage: true, Empty: true})
	viewer := render(t, fixtures.Flags{Empty: true})
	for _, page := range []string{"tenants", "deliveries", "events", "unrouted"} {
		if !strings.Contains(admin[page], `data-testid="empty-state"`) {
			t.Errorf("%s: no empty state", page)
		}
		if strings.Contains(admin[page], `data-testid="pager"`) {
			t.Errorf("%s: pager shown on an empty list", page)
		}
	}
	if !strings.Contains(admin["tenants"], "Create the first tenant") || strings.Contains(viewer["tenants"], "Create the first tenant") {
		t.Error("tenants: the create shortcut must show for editors only")
	}
}

// TestFiltersKeepTheirValues: the deliveries form shows the URL's filters.
func TestFiltersKeepTheirValues(t *testing.T) {
	doc := render(t, fixtures.Flags{CanRetry: true})["deliveries"]
	for _, want := range []string{
		`<option value="failed" selected>failed</option>`,
		`name="meeting_code" value="Boooply-AI-1234567890"`,
		`<form class="panel" method="get" action="/admin/deliveries"`,
		`hx-push-url="true"`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("deliveries: missing %s", want)
		}
	}
}

func TestHeaderValue(t *testing.T) {
	cases := []struct {
		name, value, want string
	}{
		{"Authorization", "Bearer x", "[redacted]"},
		{"x-api-key", "k", "[redacted]"},
		{"Webhook-Signature", "v1,abc", "[redacted]"},
		{"X-Custom-Token", "t", "[redacted]"},
		{"Content-Type", "application/json", "application/json"},
		{"webhook-id", "msg_1", "msg_1"},
	}
	for _, tc := range cases {
		if got := views.HeaderValue(views.Header{Name: tc.name, Value: tc.value}); got != tc.want {
			t.Errorf("HeaderValue(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestURLsSanitized: a URL that would run script never reaches an href,
// even if a handler built one from webhook text by mistake.
func TestURLsSanitized(t *testing.T) {
	var buf bytes.Buffer
	err := views.PageHead([]views.Link{{Label: "x", URL: "javascript:alert(1)"}}, "Title", "").Render(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "javascript:") {
		t.Fatalf("javascript: URL rendered: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "about:invalid") {
		t.Errorf("want templ's failed-sanitization URL, got %s", buf.String())
	}
}
