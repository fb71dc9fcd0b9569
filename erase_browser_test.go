package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/uitest"
)

// TestBrowserEraseFlow drives the real server with Chromium: an admin
// opens a delivery that is retrying against a failing ATS, follows
// "Erase candidate data…" to the confirm step, erases, and sees the
// erased state; the ATS gets nothing more afterwards. A support user
// sees no erase button.
func TestBrowserEraseFlow(t *testing.T) {
	b := uitest.New(t)
	dbURL := testdb.Targets(t)[0].URL
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		http.Error(w, "ATS down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(recv.Close)
	base, _ := startServer(t, dbURL, "--retry-schedule", "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms", "--breaker-threshold", "50")
	token := adminBearer(t, dbURL, base)
	createUser(t, dbURL, "admin2@example.com", auth.RoleAdmin)
	createUser(t, dbURL, "support@example.com", auth.RoleSupport)
	apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Erase Co","source_id":"org_erase","endpoints":[{"url":"`+recv.URL+`/ats"}]}`, 201)
	ev := int64(mustPost(t, base, sampleFor(t, "org_erase", "erase-1"))["event_id"].(float64))
	db := testdb.Open(t, dbURL)
	waitFor(t, "a failed attempt", func() bool { return got.Load() >= 1 })
	var delivery int64
	db.Gorm.Raw("SELECT id FROM deliveries WHERE event_id = ?", ev).Scan(&delivery)
	deliveryPage := base + "/admin/deliveries/" + strconv.FormatInt(delivery, 10)

	browserSignIn(t, b, base, "support@example.com", "browser test password")
	openPage(t, b, deliveryPage)
	if n := uitest.Eval[int](t, b, `document.querySelectorAll('[data-testid="delivery-erase"]').length`); n != 0 {
		t.Error("support sees the erase button")
	}

	browserSignIn(t, b, base, "admin2@example.com", "browser test password")
	openPage(t, b, deliveryPage)
	b.Do(t, "erase button", chromedp.Click(`[data-testid="delivery-erase"]`))
	b.WaitNav(t, "the confirm step", `document.querySelector('[data-testid="event-erase-confirm"]') !== null`)
	b.Screenshot(t, "erase-confirm")
	b.Do(t, "confirm", chromedp.Click(`[data-testid="event-erase-submit"]`))
	b.WaitNav(t, "the erased event", `document.querySelector('[data-testid="event-erased"]') !== null`)
	sent := got.Load()
	if uitest.Eval[bool](t, b, `document.body.innerText.includes("Jane Doe")`) {
		t.Error("the erased event page still shows the candidate's name")
	}
	openPage(t, b, deliveryPage)
	b.WaitFor(t, "the erased delivery", `document.querySelector('[data-testid="delivery-erased"]') !== null`)
	b.Screenshot(t, "erase-delivery-erased")
	pageClean(t, b, "erased delivery")
	time.Sleep(2 * time.Second) // several retries' worth
	if n := got.Load(); n != sent {
		t.Errorf("the ATS got %d more requests after the erasure, want none", n-sent)
	}
}
