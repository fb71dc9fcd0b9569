package webhooks

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// receiverCases are loopback receivers that misbehave: bytes no text column
// takes as they are, huge or broken-off answers. Each attempt must be
// recorded once, on both databases, say what happened, and a delivered one
// is never sent again.
var receiverCases = []struct {
	name         string
	answer       func(n int, w http.ResponseWriter, r *http.Request)
	timeoutMS    int // the endpoint's timeout (0: the engine's)
	wantStatus   DeliveryStatus
	wantClass    string // the attempt's error class
	wantError    string // the attempt's error must contain this
	wantBody     string // the recorded response body ("" = don't check)
	wantBodyLen  int    // its length in bytes (0 = don't check)
	wantRespHead string // a recorded response header, "Name=value"
	noAnswer     bool   // no HTTP answer came (no status to record)
}{
	{name: "200 with NUL and invalid UTF-8 in the body", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(200)
		_, _ = w.Write([]byte("ok\x00\xff"))
	}, wantStatus: DeliveryDelivered, wantBody: "ok\uFFFD\uFFFD"},
	{name: "500 with a binary body", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(500)
		_, _ = w.Write([]byte{0x1f, 0x8b, 0x08, 0x00, 0xfe, 'e', 'r', 'r'})
	}, wantStatus: DeliveryFailed, wantBody: "\x1f\uFFFD\b\uFFFD\uFFFDerr"},
	{name: "UTF-8 text longer than the read limit, cut inside a character", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(200)
		_, _ = w.Write([]byte("x" + strings.Repeat("é", maxResponseBody)))
	}, wantStatus: DeliveryDelivered, wantBodyLen: maxResponseBody + 2}, // 65,535 bytes of text, then U+FFFD (3 bytes) for the cut half
	{name: "invalid UTF-8 in a kept response header", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header()["X-Request-Id"] = []string{"a\xffb"}
		w.WriteHeader(204)
	}, wantStatus: DeliveryDelivered, wantRespHead: "X-Request-Id=a\uFFFDb"},
	{name: "a 1 GiB answer: 64 KiB read and kept", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		w.WriteHeader(200)
		chunk := []byte(strings.Repeat("x", 1<<16))
		for range 1 << 14 { // stops at the first write after Switchboard hung up
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}, wantStatus: DeliveryDelivered, wantBodyLen: maxResponseBody, wantRespHead: "Content-Length=1073741824"},
	{name: "200 with 2 MB of headers: not read past 64 KiB", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		for i := range 2000 {
			w.Header().Set("X-Filler-"+strconv.Itoa(i), strings.Repeat("v", 1000))
		}
		w.WriteHeader(200)
	}, wantStatus: DeliveryFailed, wantClass: "headers-too-large", wantError: "endpoint answered with more than 64 KiB of headers", noAnswer: true},
	{name: "NUL in a response header: a malformed answer", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 0\r\n\r\n")
		_ = buf.Flush()
		conn.Close()
	}, wantStatus: DeliveryFailed, wantClass: "connection", wantError: `malformed MIME header line: "X-Bad: a\x00b"`, noAnswer: true},
	{name: "200, then the answer dribbles past the timeout", answer: func(_ int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for r.Context().Err() == nil {
			_, _ = w.Write([]byte("."))
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}, timeoutMS: 200, wantStatus: DeliveryDelivered, wantClass: "timeout", wantError: "answered 200, then its answer broke off"},
	{name: "200, then the connection closes mid-body", answer: func(_ int, w http.ResponseWriter, _ *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
		_ = buf.Flush()
		conn.Close()
	}, wantStatus: DeliveryDelivered, wantBody: "partial", wantClass: "connection", wantError: "answered 200, then its answer broke off"},
}

// TestMisbehavingReceivers: answers holding NUL or invalid UTF-8 are
// recorded (replaced by U+FFFD) instead of failing the record on
// PostgreSQL, which made River run the job again: the receiver got a
// delivered event up to 25 times and the delivery stayed pending with no
// attempt recorded. A 2xx whose answer breaks off is delivered, and its
// attempt says the answer broke off and why.
func TestMisbehavingReceivers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		for i, tc := range receiverCases {
			t.Run(tc.name, func(t *testing.T) {
				h := newHook(t, tc.answer)
				src := "org_recv_" + string(rune('a'+i))
				createTenant(t, db, src, h.URL+"/hook", func(ep *tenants.Endpoint) { ep.MaxAttempts, ep.TimeoutMS = 1, tc.timeoutMS })
				evID := e.ingest(t, src, "m-"+src)
				var d Delivery
				waitUntil(t, "the delivery to settle or be sent again", func() bool {
					d = deliveryOf(t, db, evID)
					return d.Status != DeliveryPending || len(h.got()) > 1
				})
				atts := attemptsOf(t, db, d.ID)
				if d.Status != tc.wantStatus || len(atts) != 1 || len(h.got()) != 1 {
					t.Fatalf("got %s, %d attempts, %d requests; want %s, 1 attempt, 1 request", d.Status, len(atts), len(h.got()), tc.wantStatus)
				}
				a := atts[0]
				if !utf8.ValidString(a.ResponseBody) || strings.ContainsRune(a.ResponseBody, 0) {
					t.Errorf("recorded body %.80q is not storable text", a.ResponseBody)
				}
				if tc.wantBody != "" && a.ResponseBody != tc.wantBody {
					t.Errorf("recorded body %.80q, want %q", a.ResponseBody, tc.wantBody)
				}
				if tc.wantBodyLen != 0 && len(a.ResponseBody) != tc.wantBodyLen {
					t.Errorf("recorded body has %d bytes, want %d", len(a.ResponseBody), tc.wantBodyLen)
				}
				if name, value, ok := strings.Cut(tc.wantRespHead, "="); ok && a.ResponseHeaders[name] != value {
					t.Errorf("recorded %s = %q, want %q", name, a.ResponseHeaders[name], value)
				}
				if (a.StatusCode == nil) != tc.noAnswer {
					t.Errorf("status %v recorded, want one only when an answer came", a.StatusCode)
				}
				if a.ErrorClass != tc.wantClass && (tc.wantClass != "" || d.Status == DeliveryDelivered) {
					t.Errorf("error class %q (%s), want %q", a.ErrorClass, a.Error, tc.wantClass)
				}
				if !strings.Contains(a.Error, tc.wantError) {
					t.Errorf("error %q, want it to mention %q", a.Error, tc.wantError)
				}
				if d.Status == DeliveryDelivered && d.LastError != "" {
					t.Errorf("delivered, yet last_error %q", d.LastError)
				}
			})
		}
	})
}

// TestUnsendableHeaderFailsOnce: an event whose meetingCode holds CR LF
// (ingest stores any text) can't be carried in X-Boooply-Meeting-Id. It fails
// at once as a configuration error, with no request and without counting
// against the endpoint's health (was: retried on the whole schedule as a
// "connection" error of the endpoint, opening its circuit for every other
// delivery).
func TestUnsendableHeaderFailsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		h := newHook(t, nil)
		_, ep := createTenant(t, db, "org_ctl", h.URL+"/hook", nil)
		body := `{"event":"interview.evaluation","data":{"meetingCode":"m-1\r\nX-Injected: yes","sourceId":"org_ctl","summary":"s"}}`
		_, atts := failsOnceUnsent(t, e, db, h, body, "config")
		if !strings.Contains(atts[0].Error, "X-Boooply-Meeting-Id") {
			t.Errorf("error %q does not name the header", atts[0].Error)
		}
		var health EndpointHealth
		db.Gorm.First(&health, ep.ID)
		if health.ConsecutiveFailures != 0 || health.FailingSince != nil {
			t.Errorf("endpoint health %+v, want untouched", health)
		}
	})
}

// TestMappingErrorTextIsRecorded: a jq mapping's error carries event text
// (here a NUL from the event's JSON); the attempt and last_error hold it with
// U+FFFD on both databases, the delivery fails once and its job ends
// cancelled (was, on PostgreSQL: the record was refused and River ran the job
// again and again; then River could not store the cancel reason and the job
// stayed running).
func TestMappingErrorTextIsRecorded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		h := newHook(t, nil)
		tn, ep := createTenant(t, db, "org_jqerr", h.URL+"/hook", nil)
		m := &routing.Mapping{Mode: routing.ModeJQ, Program: `error(.data.summary)`}
		if _, err := routing.NewStore(db.Gorm).CreateVersion(context.Background(), tn.ID, ep.ID, m, "test", ""); err != nil {
			t.Fatal(err)
		}
		body := `{"event":"interview.evaluation","data":{"meetingCode":"m-jqerr","sourceId":"org_jqerr","summary":"bad\u0000\u00ff"}}`
		d, atts := failsOnceUnsent(t, e, db, h, body, "mapping")
		if !strings.Contains(atts[0].Error, "bad\uFFFD") || !strings.Contains(d.LastError, "bad\uFFFD") {
			t.Errorf("attempt error %q, last_error %q; want the event text with U+FFFD for the NUL", atts[0].Error, d.LastError)
		}
		// River keeps the cancel reason as JSON: PostgreSQL's jsonb refuses
		// \u0000, which left the job running until River's rescuer.
		waitUntil(t, "the job to be cancelled", func() bool {
			var states []string
			db.Gorm.Raw("SELECT state FROM river_job").Scan(&states)
			return len(states) == 1 && states[0] == "cancelled"
		})
	})
}

// failsOnceUnsent ingests body and waits for its delivery to fail after one
// attempt of class class, with no request reaching h.
func failsOnceUnsent(t *testing.T, e *engine, db *database.DB, h *hook, body, class string) (Delivery, []Attempt) {
	t.Helper()
	res, err := e.svc.Ingest(context.Background(), mustParse(t, body))
	if err != nil || res.Status != Accepted {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	var d Delivery
	waitUntil(t, "the delivery to settle", func() bool { d = deliveryOf(t, db, res.EventID); return d.Status != DeliveryPending })
	atts := attemptsOf(t, db, d.ID)
	if d.Status != DeliveryFailed || len(atts) != 1 || atts[0].ErrorClass != class || len(h.got()) != 0 {
		t.Fatalf("got %s, %d attempts (%+v), %d requests; want failed, 1 %s attempt, none sent", d.Status, len(atts), atts, len(h.got()), class)
	}
	return d, atts
}
