package main

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/uitest"
)

// supportFindsAndRetries: filter by meetingCode, open the delivery, retry it.
func supportFindsAndRetries(t *testing.T, b *uitest.Browser, base string, up *atomic.Bool, db *database.DB, id string) {
	t.Helper()
	openPage(t, b, base+"/admin/deliveries")
	rows := `document.querySelectorAll('[data-testid="delivery-row"]').length`
	b.WaitFor(t, "two deliveries listed", rows+` === 2`)
	b.Do(t, "search by meetingCode", chromedp.SetValue(chromedp.ID("f-meeting"), "browser-1"),
		chromedp.Click(chromedp.CSS(`[data-testid="filter-submit"]`)))
	b.WaitFor(t, "the URL to carry the filter", `location.search.includes("meeting_code=browser-1")`)
	b.WaitFor(t, "one matching delivery", rows+` === 1`)
	if got := uitest.Eval[string](t, b, `document.querySelector('[data-testid="delivery-row"]').innerText`); !contains(got, xssCandidate) {
		t.Errorf("the row does not show the candidate name as text: %q", got)
	}
	b.Screenshot(t, "support-deliveries")
	pageClean(t, b, "deliveries")

	openPage(t, b, base+"/admin/deliveries/"+id)
	if got := uitest.Eval[string](t, b, `document.querySelector('[data-testid="event-pretty"]').textContent`); !contains(got, xssTranscript) {
		t.Errorf("the pretty-printed event does not show the transcript as text")
	}
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('[data-testid="attempt"]').length`); n != 3 {
		t.Errorf("%d attempts on the timeline, want 3", n)
	}
	b.Screenshot(t, "support-delivery-failed")
	pageClean(t, b, "delivery detail")

	up.Store(true)
	b.Do(t, "retry", chromedp.Click(chromedp.CSS(`[data-testid="delivery-retry"]`)))
	b.Do(t, "wait for the retry notice", chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)))
	if got := uitest.Eval[string](t, b, `document.querySelector('[data-testid="flash"]').innerText`); !strings.Contains(got, "Retry queued") {
		t.Errorf("flash after retry = %q", got)
	}
	defer func() {
		var rows []map[string]any
		db.Gorm.Raw("SELECT id, status, attempts, last_error FROM deliveries").Scan(&rows)
		t.Logf("deliveries: %v", rows)
	}()
	waitFor(t, "the retried delivery to succeed", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM deliveries WHERE id = ? AND status = 'delivered'", id) == 1
	})
	openPage(t, b, base+"/admin/deliveries/"+id)
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('[data-testid="attempt"]').length`); n != 4 {
		t.Errorf("%d attempts after the retry, want 4", n)
	}
	if uitest.Eval[bool](t, b, `document.querySelector('[data-testid="delivery-retry"]') !== null`) {
		t.Error("a delivered delivery still offers Retry")
	}
	b.Screenshot(t, "support-delivery")
	pageClean(t, b, "delivery after retry")
}

// viewerCannotRetry: no retry button, and a forced POST (with a valid CSRF
// token, form field and header) is refused with 403.
func viewerCannotRetry(t *testing.T, b *uitest.Browser, base, id string) {
	t.Helper()
	openPage(t, b, base+"/admin/deliveries/"+id)
	if uitest.Eval[bool](t, b, `document.querySelector('[data-testid="delivery-retry"], [data-testid="delivery-replay"]') !== null`) {
		t.Error("a viewer sees retry or replay")
	}
	status := uitest.Eval[int](t, b, `(() => { const tok = document.querySelector('meta[name="csrf-token"]').content;
		const x = new XMLHttpRequest(); x.open("POST", "/admin/deliveries/`+id+`/retry", false);
		x.setRequestHeader("Content-Type", "application/x-www-form-urlencoded"); x.setRequestHeader("X-CSRF-Token", tok);
		x.send("csrf_token=" + encodeURIComponent(tok)); return x.status; })()`)
	if status != 403 {
		t.Errorf("a viewer's forced retry got HTTP %d, want 403", status)
	}
	pageClean(t, b, "viewer delivery")
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }
