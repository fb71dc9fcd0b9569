package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/uitest"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// Hostile webhook text: if any of it ran, a dialog would open (recorded by uitest).
const (
	xssCandidate  = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	xssTranscript = `<img src=x onerror=alert(3)></pre><script>alert(4)</script>`
)

// hostileTranscript is Boooply's transcript sample for sourceID with a fresh
// meetingCode and markup in the candidate name and the transcript.
func hostileTranscript(t *testing.T, sourceID, code string) []byte {
	t.Helper()
	body, err := webhooks.Sample("interview.transcript")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(body), "Jane Doe", xssCandidate)
	s = strings.Replace(s, "I've been working with React for 5 years...", xssTranscript, 1)
	s = strings.Replace(s, "Boooply-AI-1234567890", code, 1)
	return []byte(strings.Replace(s, "org_7234567890", sourceID, 1))
}

// browserSignIn signs the browser in through the real sign-in endpoint
// (the session cookie lands in the browser, as after the sign-in form).
func browserSignIn(t *testing.T, b *uitest.Browser, base, email, password string) {
	t.Helper()
	// A signed-in browser signs out first (POST with its CSRF token).
	uitest.Eval[int](t, b, `(() => { const m = document.querySelector('meta[name="csrf-token"]'); if (!m) return 0;
		const x = new XMLHttpRequest(); x.open("POST", "/api/v1/auth/logout", false);
		x.setRequestHeader("X-CSRF-Token", m.content); x.send(); return x.status; })()`)
	b.Do(t, "open the server", chromedp.Navigate(base+"/healthz"))
	status := uitest.Eval[int](t, b, `(() => { const x = new XMLHttpRequest(); x.open("POST", "/api/v1/auth/login", false);
		x.setRequestHeader("Content-Type", "application/json");
		x.send(JSON.stringify({email: "`+email+`", password: "`+password+`"})); return x.status; })()`)
	if status != 200 {
		t.Fatalf("sign in as %s: HTTP %d", email, status)
	}
}

// openPage navigates and waits until app.js and htmx have run.
func pageClean(t *testing.T, b *uitest.Browser, where string) {
	t.Helper()
	dialogs, exceptions, csp := b.Problems()
	if len(dialogs)+len(exceptions)+len(csp) > 0 {
		t.Errorf("%s: dialogs %q (injected script ran), exceptions %q, CSP violations %q", where, dialogs, exceptions, csp)
	}
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('img[src="x"], script:not([src])').length`); n != 0 {
		t.Errorf("%s: %d injected elements in the DOM", where, n)
	}
}

func createUser(t *testing.T, dbURL, email string, role auth.Role) {
	t.Helper()
	db := testdb.Open(t, dbURL)
	if _, err := auth.NewStore(db.Gorm).CreateUserWithPassword(context.Background(), &auth.User{Email: email, Role: role}, "browser test password"); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserSupportFlow drives the real server with Chromium: sign in,
// post signed events, find one by meetingCode on the deliveries page,
// open it (hostile strings shown as text, nothing runs), retry the failed
// delivery once the receiver is back and see it delivered; a viewer sees
// no retry button and a forced POST is refused. Screenshots of every
// support page go to artifacts/ui/.
func TestBrowserSupportFlow(t *testing.T) {
	b := uitest.New(t)
	dbURL := testdb.Targets(t)[0].URL
	var up atomic.Bool
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "ATS down for maintenance", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	base, logs := startServer(t, dbURL, "--retry-schedule", "20ms,20ms", "--breaker-threshold", "50")
	t.Cleanup(func() { t.Logf("server log:\n%s", logs) })
	token := adminBearer(t, dbURL, base)
	createUser(t, dbURL, "support@example.com", auth.RoleSupport)
	createUser(t, dbURL, "viewer@example.com", auth.RoleViewer)
	apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Browser Co","source_id":"org_browser","endpoints":[{"url":"`+recv.URL+`/ats"}]}`, 201)
	mustPost(t, base, hostileTranscript(t, "org_browser", "browser-1"))
	mustPost(t, base, sampleFor(t, "org_browser", "browser-2"))
	mustPost(t, base, sampleFor(t, "org_not_yet", "held-1"))
	db := testdb.Open(t, dbURL)
	waitFor(t, "both deliveries to fail", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE status = 'failed'") == 2
	})
	deliveryID := func(code string) string {
		var id int64
		if err := db.Gorm.Raw("SELECT deliveries.id FROM deliveries JOIN events ON events.id = deliveries.event_id WHERE events.meeting_code = ?", code).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("delivery of %s: %v", code, err)
		}
		return strconv.FormatInt(id, 10)
	}

	browserSignIn(t, b, base, "support@example.com", "browser test password")
	supportFindsAndRetries(t, b, base, &up, db, deliveryID("browser-1"))
	for _, page := range []struct{ name, path, testid string }{
		{"dashboard", "/admin", "dashboard"}, {"events", "/admin/events", "event-table"}, {"unrouted", "/admin/unrouted", "unrouted"},
	} {
		openPage(t, b, base+page.path)
		b.WaitFor(t, page.name, `document.querySelector('[data-testid="`+page.testid+`"]') !== null`)
		b.Screenshot(t, "support-"+page.name)
		pageClean(t, b, page.name)
	}
	// At 375 px every page fits the width (wide tables scroll inside their box).
	b.Do(t, "375 px viewport", chromedp.EmulateViewport(375, 812))
	narrow := map[string]string{"dashboard": "/admin", "deliveries": "/admin/deliveries", "delivery": "/admin/deliveries/" + deliveryID("browser-1"),
		"events": "/admin/events", "unrouted": "/admin/unrouted"}
	for name, path := range narrow {
		openPage(t, b, base+path)
		b.Screenshot(t, "support-"+name+"-375")
		if over := uitest.Eval[int](t, b, "document.documentElement.scrollWidth - window.innerWidth"); over > 0 {
			t.Errorf("%s scrolls sideways by %d px at 375 px", path, over)
		}
	}
	b.Do(t, "desktop viewport", chromedp.EmulateViewport(1280, 900))

	browserSignIn(t, b, base, "viewer@example.com", "browser test password")
	viewerCannotRetry(t, b, base, deliveryID("browser-2"))
}
