package webhooks

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestSignedRefusalIsLogged: a body whose signature holds but that can't be
// used (no meetingCode, a header contradicting it) is an event Boooply will
// give up on, so the refusal is logged with its reason class and what was
// wrong; the signature and the secret never are.
func TestSignedRefusalIsLogged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, _ := newTestHandler(t, db, BearerAccepted, hookSecret)
		var out bytes.Buffer
		h.log = slog.New(slog.NewTextHandler(&out, nil))
		app := testApp(h)
		body := []byte(`{"event":"interview.scores","data":{"sourceId":"org"}}`)
		sig := sign(hookSecret, body)
		if status, resp, _ := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sig}); status != 400 {
			t.Fatalf("got %d %s, want 400", status, resp)
		}
		logged := out.String()
		for _, want := range []string{"Refused an inbound webhook.", "reason=bad_request", "meetingCode"} {
			if !strings.Contains(logged, want) {
				t.Errorf("log lacks %q: %s", want, logged)
			}
		}
		for _, never := range []string{sig, hookSecret} {
			if strings.Contains(logged, never) {
				t.Errorf("log holds a secret or signature: %s", logged)
			}
		}
		if n := count(t, db.Gorm, "SELECT COUNT(*) FROM events"); n != 0 {
			t.Errorf("events stored = %d, want none", n)
		}
	})
}

// TestUnsignedRefusalDoesNotHideSignedOne: a request refused before its
// signature is checked (a content type anyone can send) has its own log
// budget, so a stream of them can't take the one line per second that
// tells the operator what a signed, unusable event got wrong.
func TestUnsignedRefusalDoesNotHideSignedOne(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		h, _, _ := newTestHandler(t, db, BearerAccepted, hookSecret)
		var out bytes.Buffer
		h.log = slog.New(slog.NewTextHandler(&out, nil))
		app := testApp(h)
		if status, resp, _ := postWebhook(t, app, []byte(`{}`), map[string]string{"Content-Type": "text/plain"}); status != 415 {
			t.Fatalf("unsigned text/plain: got %d %s, want 415", status, resp)
		}
		body := []byte(`{"event":"interview.scores","data":{"sourceId":"org"}}`)
		if status, resp, _ := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign(hookSecret, body)}); status != 400 {
			t.Fatalf("signed, no meetingCode: got %d %s, want 400", status, resp)
		}
		if logged := out.String(); !strings.Contains(logged, "reason=bad_request") || !strings.Contains(logged, "meetingCode") {
			t.Errorf("the signed refusal is not logged after an unsigned one: %s", logged)
		}
	})
}
