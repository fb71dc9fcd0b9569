package webhooks

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/testdb"
)

// eraseBody is an event of meetingCode for sourceID ("" leaves sourceId out)
// naming candidate; extra goes into data.
func eraseBody(event, meetingCode, sourceID, candidate, extra string) string {
	src := ""
	if sourceID != "" {
		src = `"sourceId":"` + sourceID + `",`
	}
	return `{"event":"` + event + `","data":{"meetingCode":"` + meetingCode + `",` + src + `"candidateName":"` + candidate + `","summary":"` + extra + `"}}`
}

func ingestBody(t testing.TB, e *engine, body string) IngestResult {
	t.Helper()
	res, err := e.svc.Ingest(context.Background(), mustParse(t, body))
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

// personalLeft counts the places where anything of the candidate is left
// for the events ids: bodies, names, recording URLs, mapped bodies, the
// answers and error texts of attempts.
func personalLeft(t testing.TB, db *database.DB, ids []int64) map[string]int64 {
	t.Helper()
	g := db.Gorm
	return map[string]int64{
		"event bodies":     count(t, g, "SELECT COUNT(*) FROM events WHERE id IN ? AND LENGTH(body) > 0", ids),
		"candidate names":  count(t, g, "SELECT COUNT(*) FROM events WHERE id IN ? AND candidate_name <> ''", ids),
		"recording URLs":   count(t, g, "SELECT COUNT(*) FROM events WHERE id IN ? AND video_api_url IS NOT NULL", ids),
		"mapped bodies":    count(t, g, "SELECT COUNT(*) FROM deliveries WHERE event_id IN ? AND mapped_body IS NOT NULL", ids),
		"response bodies":  count(t, g, "SELECT COUNT(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id IN ? AND a.response_body <> ''", ids),
		"attempt errors":   count(t, g, "SELECT COUNT(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id IN ? AND a.error LIKE '%Jane%'", ids),
		"live rec. links":  count(t, g, "SELECT COUNT(*) FROM recording_links WHERE event_id IN ? AND revoked_at IS NULL", ids),
		"deliveries open":  count(t, g, "SELECT COUNT(*) FROM deliveries WHERE event_id IN ? AND status IN ('pending', 'held')", ids),
		"not marked":       count(t, g, "SELECT COUNT(*) FROM events WHERE id IN ? AND (erased_at IS NULL OR erased_by IS NULL)", ids),
		"last_error names": count(t, g, "SELECT COUNT(*) FROM deliveries WHERE event_id IN ? AND last_error LIKE '%Jane%'", ids),
	}
}

// TestEraseInterview: erasing a meetingCode at a tenant removes every
// personal item of every revision, type and source of it (unrouted ones
// held for the tenant's sourceId or without one included), keeps the
// skeletons, leaves other tenants and interviews alone, and keeps
// dedupe: the same content again is a duplicate (not stored, not sent); a
// revision with new content is new data from the source, stored and sent.
// Erased deliveries can't be retried or replayed.
func TestEraseInterview(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{})
		h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("stored Jane Doe")) })
		const code = "m-erase"
		// Held before the tenant existed, and one without a sourceId at all.
		held := ingestBody(t, e, eraseBody("interview.scores", code, "org_er", "Jane Doe", "held"))
		nullSrc := ingestBody(t, e, eraseBody("interview.transcript", code, "", "Jane Doe", "no source"))
		tn, ep := createTenant(t, db, "org_er", h.URL, nil)
		_, _ = createTenant(t, db, "org_other", h.URL, nil)
		r1 := ingestBody(t, e, eraseBody("interview.evaluation", code, "org_er", "Jane Doe", "first"))
		r2 := ingestBody(t, e, eraseBody("interview.evaluation", code, "org_er", "Jane Doe", "second"))
		tr := ingestBody(t, e, eraseBody("interview.transcript", code, "org_er", "Jane Doe", "words"))
		other := ingestBody(t, e, eraseBody("interview.evaluation", code, "org_other", "Jane Doe", "other tenant"))
		keep := ingestBody(t, e, eraseBody("interview.evaluation", "m-keep", "org_er", "Jane Doe", "another interview"))
		if r2.Revision != 2 {
			t.Fatalf("second evaluation is revision %d, want 2", r2.Revision)
		}
		mine := []int64{held.EventID, nullSrc.EventID, r1.EventID, r2.EventID, tr.EventID}
		waitUntil(t, "deliveries", func() bool {
			return count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE status = 'delivered'") == 5
		})
		db.Gorm.Exec("UPDATE deliveries SET mapped_body = ? WHERE event_id IN ?", []byte(`{"name":"Jane Doe"}`), []int64{r1.EventID, other.EventID})
		db.Gorm.Exec("UPDATE events SET video_api_url = 'https://api.example/interviews/m-erase/recording' WHERE id = ?", tr.EventID)
		db.Gorm.Exec("INSERT INTO recording_links (event_id, tenant_id, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)", tr.EventID, tn.ID)
		if err := routing.NewStore(db.Gorm).PutCorrelation(ctx, &routing.Correlation{TenantID: tn.ID, MeetingCode: code,
			Attributes: map[string]string{"candidate_id": "4711"}}); err != nil {
			t.Fatal(err)
		}
		var fpBefore []string
		db.Gorm.Raw("SELECT fingerprint FROM events WHERE id IN ? ORDER BY id", mine).Scan(&fpBefore)

		got, err := NewEraser(db.Gorm).Erase(ctx, EraseRequest{TenantID: tn.ID, MeetingCode: code, By: "admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		er := got.Erasures[0]
		if er.Events != 5 || er.Deliveries != 3 || er.Correlations != 1 || er.RecordingLinks != 1 || er.Cancelled != 0 {
			t.Errorf("erasure = %+v, want 5 events, 3 deliveries, 1 correlation, 1 recording link", er)
		}
		for what, n := range personalLeft(t, db, mine) {
			if n != 0 && what != "deliveries open" {
				t.Errorf("after erasure: %d %s left", n, what)
			}
		}
		// Skeletons: ids, revisions, fingerprints, statuses, now all the tenant's.
		var fpAfter []string
		db.Gorm.Raw("SELECT fingerprint FROM events WHERE id IN ? ORDER BY id", mine).Scan(&fpAfter)
		if strings.Join(fpAfter, ",") != strings.Join(fpBefore, ",") || len(fpAfter) != 5 {
			t.Errorf("fingerprints %v, want kept %v", fpAfter, fpBefore)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE id IN ? AND tenant_id = ?", mine, tn.ID); n != 5 {
			t.Errorf("%d of the erased events belong to the tenant, want 5 (held ones attached)", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE event_id IN ? AND status = 'delivered'", mine); n != 3 {
			t.Errorf("%d delivered deliveries kept, want 3", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM correlations WHERE meeting_code = ?", code); n != 0 {
			t.Errorf("%d correlation records left", n)
		}
		// The other tenant's event and the other interview are untouched.
		for _, id := range []int64{other.EventID, keep.EventID} {
			if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE id = ? AND LENGTH(body) > 0 AND candidate_name = 'Jane Doe' AND erased_at IS NULL", id); n != 1 {
				t.Errorf("event %d was touched", id)
			}
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE event_id = ? AND mapped_body IS NOT NULL", other.EventID); n != 1 {
			t.Error("the other tenant's mapped body was erased")
		}

		sent := len(h.got())
		// The same content again: a duplicate, neither stored nor sent.
		if res := ingestBody(t, e, eraseBody("interview.evaluation", code, "org_er", "Jane Doe", "second")); res.Status != Duplicate || res.EventID != r2.EventID {
			t.Errorf("redelivery after erasure = %+v, want a duplicate of event %d", res, r2.EventID)
		}
		// Retry, replay and bulk retry refuse the erased deliveries.
		d1 := deliveryOf(t, db, r1.EventID)
		db.Gorm.Exec("UPDATE deliveries SET status = 'failed' WHERE id = ?", d1.ID)
		if err := e.svc.RetryDelivery(ctx, nil, d1.ID); !isCode(err, problem.CodeConflict) {
			t.Errorf("retry of an erased delivery: %v, want a conflict", err)
		}
		if _, err := e.svc.Replay(ctx, nil, r2.EventID, ep.ID); !isCode(err, problem.CodeConflict) {
			t.Errorf("replay of an erased event: %v, want a conflict", err)
		}
		if n, err := e.svc.BulkRetry(ctx, DeliveryFilter{TenantID: tn.ID}); err != nil || n != 0 {
			t.Errorf("bulk retry after erasure retried %d (%v), want 0", n, err)
		}
		// A revision with new content is new data from the source: stored and sent.
		r3 := ingestBody(t, e, eraseBody("interview.evaluation", code, "org_er", "Jane Doe", "third"))
		if r3.Status != Accepted || r3.Revision != 3 {
			t.Errorf("new content after erasure = %+v, want accepted as revision 3", r3)
		}
		waitUntil(t, "the new revision's delivery", func() bool { return deliveryOf(t, db, r3.EventID).Status == DeliveryDelivered })
		time.Sleep(100 * time.Millisecond)
		if n := len(h.got()); n != sent+1 {
			t.Errorf("receiver got %d requests after the erasure, want 1 (the new revision only)", n-sent)
		}
		// Erasing again erases the new revision; the earlier ones count as already erased.
		again, err := NewEraser(db.Gorm).Erase(ctx, EraseRequest{TenantID: tn.ID, MeetingCode: code, By: "cli"})
		if err != nil || again.Erasures[0].Events != 1 || again.Erasures[0].AlreadyErased != 5 {
			t.Errorf("second erasure = %+v (%v), want 1 new and 5 already erased", again, err)
		}
	})
}

// TestErasePendingNeverSent: a delivery retrying against a failing
// endpoint when its event is erased fails with class erased and the
// receiver gets nothing more, through every retry the schedule had left.
func TestErasePendingNeverSent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		step := 100 * time.Millisecond
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{step, step, step, step, step, step, step, step}})
		h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		tn, _ := createTenant(t, db, "org_pend", h.URL, nil)
		ev := ingestBody(t, e, eraseBody("interview.evaluation", "m-pend", "org_pend", "Jane Doe", "x"))
		waitUntil(t, "a failed attempt", func() bool { return len(h.got()) >= 1 })
		er, err := NewEraser(db.Gorm).EraseInterview(ctx, tn.ID, "m-pend", "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		sent := len(h.got())
		time.Sleep(10 * step) // longer than every retry left
		if n := len(h.got()); n != sent {
			t.Errorf("receiver got %d more requests after the erasure, want none", n-sent)
		}
		d := deliveryOf(t, db, ev.EventID)
		atts := attemptsOf(t, db, d.ID)
		last := atts[len(atts)-1]
		if d.Status != DeliveryFailed || last.ErrorClass != ErrorClassErased || !strings.Contains(d.LastError, "erased on") {
			t.Errorf("delivery %s (%q), last attempt class %q; want failed, erased (erasure %+v)", d.Status, d.LastError, last.ErrorClass, er)
		}
		if er.Cancelled+er.InFlight == 0 {
			t.Errorf("erasure %+v cancelled nothing", er)
		}
		for what, n := range personalLeft(t, db, []int64{ev.EventID}) {
			if n != 0 {
				t.Errorf("after erasure: %d %s left", n, what)
			}
		}
	})
}

// TestWorkerNeverSendsErasedEvent: a job that finds its delivery pending
// but its event erased (an attempt in flight during the erasure set it
// back to pending with a retry) sends nothing and settles as erased.
func TestWorkerNeverSendsErasedEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{stopped: true})
		h := newHook(t, nil)
		createTenant(t, db, "org_race", h.URL, nil)
		ev := ingestBody(t, e, eraseBody("interview.evaluation", "m-race", "org_race", "Jane Doe", "x"))
		db.Gorm.Exec("UPDATE events SET erased_at = ?, erased_by = 'admin@example.com', body = ? WHERE id = ?", time.Now().UTC(), []byte{}, ev.EventID)
		e.start(t)
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, ev.EventID).Status != DeliveryPending })
		d := deliveryOf(t, db, ev.EventID)
		atts := attemptsOf(t, db, d.ID)
		if len(h.got()) != 0 || d.Status != DeliveryFailed || len(atts) != 1 || atts[0].ErrorClass != ErrorClassErased || atts[0].StatusCode != nil {
			t.Errorf("sent %d, delivery %s, attempts %+v; want nothing sent, failed with class erased", len(h.got()), d.Status, atts)
		}
	})
}

// TestEraseInFlightAttempt: an attempt already sending when the erasure
// commits finishes (a request cannot be unsent); the erasure waits for it,
// then scrubs what it recorded, and nothing is sent afterwards although
// the attempt asked for a retry.
func TestEraseInFlightAttempt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}})
		release := make(chan struct{})
		h := newHook(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				<-release
			}
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("could not store Jane Doe"))
		})
		tn, _ := createTenant(t, db, "org_fly", h.URL, nil)
		ev := ingestBody(t, e, eraseBody("interview.evaluation", "m-fly", "org_fly", "Jane Doe", "x"))
		waitUntil(t, "the first request", func() bool { return len(h.got()) == 1 })
		done := make(chan Erasure)
		go func() {
			er, err := NewEraser(db.Gorm).EraseInterview(ctx, tn.ID, "m-fly", "admin@example.com")
			if err != nil {
				t.Error(err)
			}
			done <- er
		}()
		time.Sleep(300 * time.Millisecond) // the erasure is committed and waiting for the running job
		close(release)
		er := <-done
		time.Sleep(300 * time.Millisecond)
		if n := len(h.got()); n != 1 || er.InFlight != 1 {
			t.Errorf("receiver got %d requests, erasure %+v; want the in-flight one only, waited for", n, er)
		}
		d := deliveryOf(t, db, ev.EventID)
		if d.Status != DeliveryFailed {
			t.Errorf("delivery %s, want failed", d.Status)
		}
		for what, n := range personalLeft(t, db, []int64{ev.EventID}) {
			if n != 0 {
				t.Errorf("after erasure: %d %s left", n, what)
			}
		}
	})
}

// TestEraseAttemptRecordedAfterCommit: a job that read the body before
// the erasure committed, and recorded its attempt (the receiver's answer
// naming the candidate, a retry asked for) after the commit but before the
// erasure counted running jobs, is scrubbed all the same: the answer is
// gone and the delivery fails as erased instead of waiting for its retry.
func TestEraseAttemptRecordedAfterCommit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{schedule: []time.Duration{time.Hour, time.Hour}})
		release := make(chan struct{})
		h := newHook(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				<-release
			}
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("could not store Jane Doe"))
		})
		tn, _ := createTenant(t, db, "org_late", h.URL, nil)
		ev := ingestBody(t, e, eraseBody("interview.evaluation", "m-late", "org_late", "Jane Doe", "x"))
		waitUntil(t, "the first request", func() bool { return len(h.got()) == 1 })
		d := deliveryOf(t, db, ev.EventID)
		er := NewEraser(db.Gorm)
		er.committed = func() {
			close(release) // the request in flight is answered and recorded now, after the commit
			waitUntil(t, "the attempt recorded and its job no longer running", func() bool {
				return count(t, db.Gorm, "SELECT COUNT(*) FROM attempts WHERE delivery_id = ? AND response_body <> ''", d.ID) == 1 &&
					count(t, db.Gorm, "SELECT COUNT(*) FROM river_job WHERE kind = 'deliver' AND state = 'running'") == 0
			})
		}
		if _, err := er.EraseInterview(ctx, tn.ID, "m-late", "admin@example.com"); err != nil {
			t.Fatal(err)
		}
		if d := deliveryOf(t, db, ev.EventID); d.Status != DeliveryFailed {
			t.Errorf("delivery %s, want failed", d.Status)
		}
		for what, n := range personalLeft(t, db, []int64{ev.EventID}) {
			if n != 0 {
				t.Errorf("after erasure: %d %s left", n, what)
			}
		}
	})
}

// TestEraseByCandidateNameAroundSpace: a stored name with spaces, a tab or
// a line break around it (as Boooply sent it) is the same name: erasure by
// name finds it whatever the caller puts around the name, and still
// matches exactly within.
func TestEraseByCandidateNameAroundSpace(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{stopped: true})
		tn, _ := createTenant(t, db, "org_space", "http://127.0.0.1:9/x", nil)
		ingestBody(t, e, eraseBody("interview.evaluation", "m-1", "org_space", " Zoë Ölund ", "a"))
		ingestBody(t, e, eraseBody("interview.evaluation", "m-2", "org_space", `Zoë Ölund\t`, "b"))
		ingestBody(t, e, eraseBody("interview.evaluation", "m-3", "org_space", `\nZOË ÖLUND\r\n`, "c"))
		ingestBody(t, e, eraseBody("interview.evaluation", "m-4", "org_space", "Zoë  Ölund", "not exact within"))
		for _, asked := range []string{"Zoë Ölund", "  zoë ölund\t"} {
			dry, err := NewEraser(db.Gorm).Erase(ctx, EraseRequest{TenantID: tn.ID, CandidateName: asked, DryRun: true})
			if err != nil || strings.Join(dry.MeetingCodes, ",") != "m-1,m-2,m-3" {
				t.Errorf("dry run for %q = %v (%v), want m-1, m-2 and m-3", asked, dry.MeetingCodes, err)
			}
		}
	})
}

// TestEraseByCandidateName: the name matches exactly, ignoring case
// (Unicode on both databases) and the normalization form (a name sent
// decomposed is the same name), within the tenant only; a dry run lists
// and counts without erasing; the erasure then erases each meetingCode.
func TestEraseByCandidateName(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{stopped: true})
		tn, _ := createTenant(t, db, "org_name", "http://127.0.0.1:9/x", nil)
		createTenant(t, db, "org_name2", "http://127.0.0.1:9/x", nil)
		ingestBody(t, e, eraseBody("interview.evaluation", "m-a", "org_name", "Zoë Ölund", "a"))
		ingestBody(t, e, eraseBody("interview.transcript", "m-b", "org_name", "ZOË ÖLUND", "b"))
		ingestBody(t, e, eraseBody("interview.evaluation", "m-c", "org_name", "Zoë Ölund-Berg", "not exact"))
		ingestBody(t, e, eraseBody("interview.evaluation", "m-d", "org_name2", "Zoë Ölund", "other tenant"))
		ingestBody(t, e, eraseBody("interview.scores", "m-e", "org_name", "Zoe\u0308 O\u0308lund", "decomposed"))
		er := NewEraser(db.Gorm)
		dry, err := er.Erase(ctx, EraseRequest{TenantID: tn.ID, CandidateName: "zoë ölund", DryRun: true})
		if err != nil || strings.Join(dry.MeetingCodes, ",") != "m-a,m-b,m-e" || dry.Erasures[0].Events != 1 {
			t.Fatalf("dry run = %+v (%v), want m-a, m-b and m-e", dry, err)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE erased_at IS NOT NULL"); n != 0 {
			t.Fatalf("a dry run erased %d events", n)
		}
		res, err := er.Erase(ctx, EraseRequest{TenantID: tn.ID, CandidateName: "Zoë Ölund", By: "admin@example.com"})
		if err != nil || len(res.Erasures) != 3 {
			t.Fatalf("erase = %+v (%v)", res, err)
		}
		var left []string
		db.Gorm.Raw("SELECT meeting_code FROM events WHERE erased_at IS NULL ORDER BY meeting_code").Scan(&left)
		if strings.Join(left, ",") != "m-c,m-d" {
			t.Errorf("not erased: %v, want m-c and m-d", left)
		}
		again, err := er.Erase(ctx, EraseRequest{TenantID: tn.ID, CandidateName: "Zoë Ölund", DryRun: true})
		if err != nil || len(again.MeetingCodes) != 0 {
			t.Errorf("after erasure the name still finds %v (%v)", again.MeetingCodes, err)
		}
		for _, bad := range []EraseRequest{{TenantID: tn.ID}, {TenantID: tn.ID, MeetingCode: "m-a", CandidateName: "x"}} {
			if _, err := er.Erase(ctx, bad); !isCode(err, problem.CodeInvalid) {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		if _, err := er.Erase(ctx, EraseRequest{TenantID: tn.ID, MeetingCode: "m-none"}); !isCode(err, problem.CodeNotFound) {
			t.Errorf("unknown meetingCode: %v, want not found", err)
		}
	})
}

// TestRetentionBlanksCandidateNames: retention removes the candidate's
// name with the body, so the name search finds only events within
// retention; names of events purged before this (body gone, name kept)
// are blanked on the next run.
func TestRetentionBlanksCandidateNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{stopped: true})
		tn, _ := createTenant(t, db, "org_ret2", "http://127.0.0.1:9/x", nil)
		old := ingestBody(t, e, eraseBody("interview.evaluation", "m-old", "org_ret2", "Jane Doe", "old"))
		purged := ingestBody(t, e, eraseBody("interview.evaluation", "m-purged", "org_ret2", "Jane Doe", "purged before"))
		ingestBody(t, e, eraseBody("interview.evaluation", "m-new", "org_ret2", "Jane Doe", "new"))
		db.Gorm.Exec("UPDATE deliveries SET status = 'delivered'")
		long := time.Now().Add(-40 * 24 * time.Hour).UTC()
		db.Gorm.Exec("UPDATE events SET received_at = ? WHERE id IN ?", long, []int64{old.EventID, purged.EventID})
		db.Gorm.Exec("UPDATE events SET body = ? WHERE id = ?", []byte{}, purged.EventID) // purged by an older version
		if _, err := PurgePayloads(ctx, db.Gorm, time.Now().Add(-30*24*time.Hour), time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE candidate_name <> '' AND received_at < ?", time.Now().Add(-24*time.Hour).UTC()); n != 0 {
			t.Errorf("%d names older than retention left", n)
		}
		codes, err := NewEraser(db.Gorm).MeetingCodesOfCandidate(ctx, tn.ID, "jane doe")
		if err != nil || strings.Join(codes, ",") != "m-new" {
			t.Errorf("name search after retention = %v (%v), want m-new only", codes, err)
		}
		evs, _, err := NewStore(db.Gorm).ListEvents(ctx, EventFilter{Candidate: "jane"})
		if err != nil || len(evs) != 1 || evs[0].MeetingCode != "m-new" {
			t.Errorf("events search after retention = %d events (%v), want m-new only", len(evs), err)
		}
	})
}
