package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestAdmissionPendingBound: past the pending bound Enter refuses with a
// 503 problem carrying Retry-After, and a release makes room again.
func TestAdmissionPendingBound(t *testing.T) {
	a := NewAdmission(2, 0)
	r1, err1 := a.Enter()
	r2, err2 := a.Enter()
	if err1 != nil || err2 != nil {
		t.Fatalf("first two: %v, %v; want admitted", err1, err2)
	}
	_, err := a.Enter()
	p, ok := problem.As(err)
	if !ok || p.Code != problem.CodeUnavailable || p.RetryAfter <= 0 {
		t.Fatalf("third: got %v, want unavailable with Retry-After", err)
	}
	if got := a.Pending(); got != 2 {
		t.Errorf("pending after a refusal = %d, want 2", got)
	}
	r1()
	r3, err := a.Enter()
	if err != nil {
		t.Fatalf("after a release: %v, want admitted", err)
	}
	r2()
	r3()
	if got := a.Pending(); got != 0 {
		t.Errorf("pending after releases = %d, want 0", got)
	}
	var unbounded *Admission
	if release, err := unbounded.Enter(); err != nil || release == nil {
		t.Errorf("nil admission: %v, want admitted", err)
	}
}

// TestIngestPushBackOnBacklog: with delivery not running, deliveries pile
// up as available River jobs; once the counted backlog reaches the bound the
// webhook answers 503 + Retry-After and stores nothing, and an event acked
// before that is on disk with its job.
func TestIngestPushBackOnBacklog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, svc := newTestHandler(t, db, BearerAccepted, hookSecret)
		adm := NewAdmission(0, 3)
		svc.LimitIngest(adm)
		app := testApp(h)
		mustCreateTenant(t, db, "org-push", "https://ats.example/hook")
		post := func(i int) (int, http.Header) {
			body := fmt.Appendf(nil, `{"event":"interview.evaluation","data":{"meetingCode":"push-%d","sourceId":"org-push","summary":"s"}}`, i)
			status, _, hdr := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign(hookSecret, body)})
			return status, hdr
		}
		for i := range 3 {
			if status, _ := post(i); status != http.StatusOK {
				t.Fatalf("event %d under the bound: status %d, want 200", i, status)
			}
		}
		if err := adm.refresh(context.Background(), db.Gorm); err != nil {
			t.Fatal(err)
		}
		if got := adm.Backlog(); got != 3 {
			t.Fatalf("backlog = %d, want 3 available jobs", got)
		}
		status, hdr := post(99)
		if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
			t.Fatalf("over the bound: status %d, Retry-After %q; want 503 with Retry-After", status, hdr.Get("Retry-After"))
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 3 {
			t.Errorf("events stored = %d, want 3 (the refused one is not stored)", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM river_job WHERE state = 'available'"); n != 3 {
			t.Errorf("available jobs = %d, want 3", n)
		}
	})
}

// TestIngestPushBackPendingHTTP: with the pending bound reached (requests
// held inside ingest), a webhook is refused at once with 503 + Retry-After
// and a problem body, before any verification or storage.
func TestIngestPushBackPendingHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, svc := newTestHandler(t, db, BearerAccepted, hookSecret)
		adm := NewAdmission(1, 0)
		svc.LimitIngest(adm)
		held, err := adm.Enter() // stands in for a request being stored
		if err != nil {
			t.Fatal(err)
		}
		app := testApp(h)
		sample, _ := Sample("interview.scores")
		status, body, hdr := postWebhook(t, app, sample, map[string]string{"X-Boooply-Signature": sign(hookSecret, sample)})
		if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || !strings.Contains(body, `"unavailable"`) {
			t.Fatalf("got %d %s (Retry-After %q), want 503 unavailable with Retry-After", status, body, hdr.Get("Retry-After"))
		}
		held()
		status, body, _ = postWebhook(t, app, bytes.Clone(sample), map[string]string{"X-Boooply-Signature": sign(hookSecret, sample)})
		if status != http.StatusOK || !strings.Contains(body, "accepted") {
			t.Fatalf("after room was made: got %d %s, want 200 accepted", status, body)
		}
		if got := adm.Pending(); got != 0 {
			t.Errorf("pending after the answer = %d, want 0", got)
		}
	})
}
