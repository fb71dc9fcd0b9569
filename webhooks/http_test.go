package webhooks

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

const hookSecret = "whsec_handler_test_secret"

// TestHandlerStatuses drives every answer of the ingest route through the
// real handler (413 comes from the server's body limit: TestIngestHTTP in
// package main covers it on a real listener): what a client did wrong is a 4xx naming the reason, nothing
// of a refused request is stored, and an event is 2xx only once on disk.
func TestHandlerStatuses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, _ := newTestHandler(t, db, BearerAccepted, hookSecret)
		app := testApp(h)
		sample, _ := Sample("interview.scores")
		signed := func(b []byte) map[string]string { return map[string]string{"X-Boooply-Signature": sign(hookSecret, b)} }
		with := func(b []byte, kv ...string) map[string]string {
			m := signed(b)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		}
		bodies := map[string][]byte{
			"malformed":  []byte(`{"event":"interview.scores","data":{`),
			"no event":   []byte(`{"data":{"meetingCode":"m"}}`),
			"no data":    []byte(`{"event":"interview.scores"}`),
			"no meeting": []byte(`{"event":"interview.scores","data":{"sourceId":"org"}}`),
		}
		cases := []struct {
			name         string
			body         []byte
			headers      map[string]string
			wantStatus   int
			wantContains string
		}{
			{"genuine", sample, with(sample, "Authorization", "Bearer "+hookSecret, "X-Boooply-Event", "interview.scores", "X-Boooply-Meeting-Id", "Boooply-AI-1234567890"), 200, `"status":"accepted"`},
			{"redelivery", sample, signed(sample), 200, `"status":"duplicate"`},
			{"missing signature", sample, map[string]string{}, 401, `missing_signature`},
			{"bad signature", sample, map[string]string{"X-Boooply-Signature": sign("other-secret-0000", sample)}, 401, `bad_signature`},
			{"bad bearer", sample, with(sample, "Authorization", "Bearer whsec_wrong"), 401, `bad_bearer`},
			{"basic auth instead of bearer", sample, with(sample, "Authorization", "Basic Zm9vOmJhcg=="), 401, `bad_bearer`},
			{"wrong content type", sample, with(sample, "Content-Type", "text/plain"), 415, `unsupported_media_type`},
			{"malformed json", bodies["malformed"], signed(bodies["malformed"]), 400, `not valid JSON`},
			{"missing event", bodies["no event"], signed(bodies["no event"]), 400, `event: is missing`},
			{"missing data", bodies["no data"], signed(bodies["no data"]), 400, `data: is missing`},
			{"missing meetingCode", bodies["no meeting"], signed(bodies["no meeting"]), 400, `data.meetingCode: is missing`},
			{"event header disagrees", sample, with(sample, "X-Boooply-Event", "interview.evaluation"), 400, `X-Boooply-Event`},
			{"meeting header disagrees", sample, with(sample, "X-Boooply-Meeting-Id", "other"), 400, `X-Boooply-Meeting-Id`},
		}
		for _, tc := range cases {
			status, body, _ := postWebhook(t, app, tc.body, tc.headers)
			if status != tc.wantStatus || !strings.Contains(body, tc.wantContains) {
				t.Errorf("%s: got %d %s, want %d containing %q", tc.name, status, body, tc.wantStatus, tc.wantContains)
			}
			if status != 200 && !json.Valid([]byte(body)) {
				t.Errorf("%s: error answer is not JSON: %s", tc.name, body)
			}
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 1 {
			t.Errorf("events stored = %d, want only the genuine one", n)
		}

		// The database going away is Switchboard's fault: 503 with Retry-After, never 2xx.
		db.SQL.Close()
		fresh := bytes.Replace(sample, []byte("Boooply-AI-1234567890"), []byte("after-close"), 1)
		status, body, hdr := postWebhook(t, app, fresh, signed(fresh))
		if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || !strings.Contains(body, "unavailable") {
			t.Fatalf("database closed: got %d %s (Retry-After %q), want 503 with Retry-After", status, body, hdr.Get("Retry-After"))
		}
	})
}

// TestBearerModes: the Authorization header is checked in constant time
// against the active secrets when required or present, never when ignored.
func TestBearerModes(t *testing.T) {
	cands := [][]byte{[]byte("old-secret"), []byte("new-secret")}
	cases := []struct {
		mode   BearerMode
		header string
		want   error
	}{
		{BearerAccepted, "", nil},
		{BearerAccepted, "Bearer new-secret", nil},
		{BearerAccepted, "bearer old-secret", nil},
		{BearerAccepted, "Bearer nope", ErrBadBearer},
		{BearerAccepted, "Token new-secret", ErrBadBearer},
		{BearerRequired, "", ErrMissingBearer},
		{BearerRequired, "Bearer new-secret", nil},
		{BearerRequired, "Bearer new-secre", ErrBadBearer},
		{BearerIgnored, "", nil},
		{BearerIgnored, "Bearer nope", nil},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode)+" "+tc.header, func(t *testing.T) {
			t.Parallel()
			if err := CheckBearer(tc.mode, cands, tc.header); err != tc.want {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	for in, want := range map[string]BearerMode{"": BearerAccepted, "REQUIRED": BearerRequired, "ignored": BearerIgnored} {
		if got, err := ParseBearerMode(in); err != nil || got != want {
			t.Errorf("ParseBearerMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseBearerMode("sometimes"); err == nil {
		t.Error("ParseBearerMode accepted an unknown mode")
	}
}

// TestHandlerBearerRequired: with bearer required, a correctly signed
// event without the header is refused and stores nothing.
func TestHandlerBearerRequired(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, _ := newTestHandler(t, db, BearerRequired, hookSecret)
		app := testApp(h)
		sample, _ := Sample("interview.transcript")
		sig := sign(hookSecret, sample)
		if status, body, _ := postWebhook(t, app, sample, map[string]string{"X-Boooply-Signature": sig}); status != 401 || !strings.Contains(body, "missing_bearer") {
			t.Fatalf("without bearer: %d %s, want 401 missing_bearer", status, body)
		}
		if status, body, _ := postWebhook(t, app, sample, map[string]string{"X-Boooply-Signature": sig, "Authorization": "Bearer " + hookSecret}); status != 200 {
			t.Fatalf("with bearer: %d %s, want 200", status, body)
		}
	})
}

// TestConcurrentPostsOverHTTP posts one event 50 times at once through the
// handler with group commit on: one event, one delivery per endpoint.
func TestConcurrentPostsOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, svc := newTestHandler(t, db, BearerAccepted, hookSecret)
		writers := 4
		if db.Dialect == database.SQLite {
			writers = 1
		}
		svc.EnableBatching(16, writers)
		t.Cleanup(svc.Close)
		mustCreateTenant(t, db, "org_7234567890", "https://a.example/hook", "https://b.example/hook")
		app := testApp(h)
		sample, _ := Sample("interview.evaluation")
		hdr := map[string]string{"X-Boooply-Signature": sign(hookSecret, sample)}
		var wg sync.WaitGroup
		statuses := make(chan string, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body, _ := postWebhook(t, app, sample, hdr)
				if status != 200 {
					statuses <- body
				}
			}()
		}
		wg.Wait()
		close(statuses)
		for body := range statuses {
			t.Errorf("a post was not acknowledged: %s", body)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 1 {
			t.Errorf("events = %d, want 1", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries"); n != 2 {
			t.Errorf("deliveries = %d, want 2 (one per endpoint)", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM river_job"); n != 2 {
			t.Errorf("river jobs = %d, want 2", n)
		}
		if n := count(t, db.Gorm, "SELECT duplicates FROM events"); n != 49 {
			t.Errorf("duplicates = %d, want 49", n)
		}
	})
}

// batchingService is a Service with group commit on (8 events, one
// writer) and tenant org_1 with one endpoint.
func batchingService(t *testing.T, db *database.DB) *Service {
	t.Helper()
	svc := newTestService(t, db)
	svc.EnableBatching(8, 1)
	t.Cleanup(svc.Close)
	mustCreateTenant(t, db, "org_1", "https://a.example/hook")
	return svc
}

// evaluationFor is a minimal evaluation of meeting code for org_1.
func evaluationFor(code, summary string) string {
	return `{"event":"interview.evaluation","data":{"meetingCode":"` + code + `","sourceId":"org_1","summary":"` + summary + `"}}`
}

// TestBatchMixedEvents commits distinct events, copies and revisions that
// arrive together, and checks each waiter got its own, correct answer.
func TestBatchMixedEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := batchingService(t, db)
		var wg sync.WaitGroup
		results := make([]IngestResult, 30)
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// 10 meetings × 3 posts: two identical copies and one revision.
				summary := "v1"
				if i%3 == 2 {
					summary = "v2"
				}
				body := evaluationFor("m"+string(rune('a'+i/3)), summary)
				r, err := svc.Ingest(context.Background(), mustParse(t, body))
				if err != nil {
					t.Errorf("ingest %d: %v", i, err)
				}
				results[i] = r
			}()
		}
		wg.Wait()
		accepted, dup := 0, 0
		for _, r := range results {
			switch r.Status {
			case Accepted:
				accepted++
			case Duplicate:
				dup++
			}
		}
		if accepted != 20 || dup != 10 {
			t.Errorf("accepted %d, duplicates %d; want 20 and 10", accepted, dup)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events WHERE revision = 2"); n != 10 {
			t.Errorf("second revisions = %d, want 10", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries"); n != 20 {
			t.Errorf("deliveries = %d, want 20", n)
		}
	})
}

// TestBatchSeesEarlierCommits: a group commit reads earlier revisions
// (on PostgreSQL on its own connection while the transaction begins), so a
// copy of an event committed by an earlier batch is a duplicate of it and
// new content is the next revision.
func TestBatchSeesEarlierCommits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := batchingService(t, db)
		post := func(summary string) IngestResult {
			t.Helper()
			r, err := svc.Ingest(context.Background(), mustParse(t, evaluationFor("m1", summary)))
			if err != nil {
				t.Fatalf("ingest %s: %v", summary, err)
			}
			return r
		}
		first := post("v1")
		if again := post("v1"); again.Status != Duplicate || again.EventID != first.EventID {
			t.Errorf("copy: %+v, want a duplicate of event %d", again, first.EventID)
		}
		if next := post("v2"); next.Status != Accepted || next.Revision != 2 {
			t.Errorf("new content: %+v, want revision 2 accepted", next)
		}
		if n := count(t, db.Gorm, "SELECT duplicates FROM events WHERE revision = 1"); n != 1 {
			t.Errorf("duplicates on revision 1 = %d, want 1", n)
		}
	})
}

// TestSkipRevisions: an endpoint that opted out of revisions gets revision 1
// only; the others get both.
func TestSkipRevisions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		svc := newTestService(t, db)
		tn := &tenants.Tenant{Name: "T", SourceID: "org_1", Status: tenants.StatusActive}
		skip := &tenants.Endpoint{URL: "https://skip.example/", Enabled: true, SkipRevisions: true}
		all := &tenants.Endpoint{URL: "https://all.example/", Enabled: true}
		if err := tenants.NewStore(db.Gorm).CreateTenant(ctx, tn, []*tenants.Endpoint{skip, all}); err != nil {
			t.Fatal(err)
		}
		base := `{"event":"interview.evaluation","data":{"meetingCode":"m1","sourceId":"org_1","summary":"%s"}}`
		for i, summary := range []string{"first", "re-run"} {
			r, err := svc.Ingest(ctx, mustParse(t, strings.Replace(base, "%s", summary, 1)))
			if err != nil || r.Revision != i+1 {
				t.Fatalf("revision %d: %+v, %v", i+1, r, err)
			}
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ?", skip.ID); n != 1 {
			t.Errorf("skip-revisions endpoint deliveries = %d, want 1", n)
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ?", all.ID); n != 2 {
			t.Errorf("other endpoint deliveries = %d, want 2", n)
		}
		store := NewStore(db.Gorm)
		revs, _, err := store.ListEvents(ctx, EventFilter{Revisions: true})
		if err != nil || len(revs) != 1 || revs[0].Revision != 2 {
			t.Fatalf("revisions filter = %+v, %v; want the one revision 2", revs, err)
		}
		src := "org_1"
		hist, err := store.ListRevisions(ctx, EventChain{SourceID: &src, MeetingCode: "m1", EventType: "interview.evaluation"})
		if err != nil || len(hist) != 2 || hist[0].Revision != 1 || hist[1].Revision != 2 {
			t.Fatalf("ListRevisions = %+v, %v", hist, err)
		}
	})
}

// TestIngestRefusesContentEncoding: a compressed body is 415 on a real
// listener, before anything is inflated. Fiber's c.Body() used to inflate
// gzip (and deflate, br) without a bound ahead of the signature check, so
// an anonymous 64 KiB request became 64 MiB in memory (a 10 MiB one, 10
// GiB), and a compressed genuine event verified against inflated bytes it
// did not send.
func TestIngestRefusesContentEncoding(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, _ := newTestHandler(t, db, BearerAccepted, hookSecret)
		app := testApp(h)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = app.Listener(ln) }()
		t.Cleanup(func() { _ = app.Shutdown() })
		gz := func(b []byte) []byte {
			var out bytes.Buffer
			w := gzip.NewWriter(&out)
			_, _ = w.Write(b)
			_ = w.Close()
			return out.Bytes()
		}
		genuine := []byte(`{"event":"interview.scores","data":{"meetingCode":"gz-1","sourceId":"org"}}`)
		bomb := gz(bytes.Repeat([]byte(" "), 64<<20))
		cases := []struct {
			name, encoding string
			body           []byte
			sig            string
		}{
			{"gzip, signed over the JSON", "gzip", gz(genuine), sign(hookSecret, genuine)},
			{"gzip, signed over the wire bytes", "gzip", gz(genuine), sign(hookSecret, gz(genuine))},
			{"deflate", "deflate", gz(genuine), sign(hookSecret, genuine)},
			{"upper case", "GZIP", gz(genuine), sign(hookSecret, genuine)},
			{"unsigned bomb", "gzip", bomb, ""},
			{"bomb under two codings", "gzip, gzip", gz(bomb), ""},
		}
		for _, tc := range cases {
			req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/webhooks/boooply", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Encoding", tc.encoding)
			if tc.sig != "" {
				req.Header.Set("X-Boooply-Signature", tc.sig)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(b), "content encoding") {
				t.Errorf("%s: got %d %s, want 415 naming the content encoding", tc.name, resp.StatusCode, b)
			}
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 0 {
			t.Errorf("events stored = %d, want none", n)
		}
		if status, body, _ := postWebhook(t, app, genuine, map[string]string{"X-Boooply-Signature": sign(hookSecret, genuine), "Content-Encoding": "identity"}); status != 200 {
			t.Errorf("identity encoding: got %d %s, want 200", status, body)
		}
	})
}
