package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// verifyStandardWebhook is an independent implementation of the Standard
// Webhooks receiver check, written from the spec: the secret is base64
// after "whsec_"; the signed content is "<webhook-id>.<webhook-timestamp>.<body>";
// webhook-signature holds space-separated "v1,<base64 HMAC-SHA256>" entries,
// any of which may match; the timestamp must be within 5 minutes.
func verifyStandardWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return fmt.Errorf("timestamp %q out of tolerance", ts)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature matches")
}

// TestSignatureVector checks Sign against the Standard Webhooks reference
// vector (from the spec's libraries' tests).
func TestSignatureVector(t *testing.T) {
	key, err := DecodeSigningSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestOutgoingRequest: a delivery carries Switchboard's headers, static
// headers, the endpoint's auth and Standard Webhooks signatures under the
// current and the previous (rotating) secret, which an independent
// verifier accepts with either; webhook-id is stable across retries; the
// attempt record redacts the auth secret.
func TestOutgoingRequest(t *testing.T) {
	const current, previous = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2VjcmV0LXByZXZpb3VzLTEyMzQ1Njc4"
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		h := newHook(t, failFirst(1, 503))
		later := time.Now().Add(time.Hour)
		tn, ep := createTenant(t, db, "org_sign", h.URL+"/hook", func(ep *tenants.Endpoint) {
			ctx := func(f string) string { return fmt.Sprintf("endpoint:%d:%s", ep.ID, f) }
			ep.SigningSecretSealed, _ = e.keyring.Seal([]byte(current), ctx("signing"))
			ep.PreviousSigningSecretSealed, _ = e.keyring.Seal([]byte(previous), ctx("signing_prev"))
			ep.PreviousSigningExpiresAt = &later
			ep.AuthType, ep.AuthHeaderName = tenants.AuthHeader, "X-Api-Key"
			ep.AuthSecretSealed, _ = e.keyring.Seal([]byte("key-s3cret"), ctx("auth"))
			ep.Headers = map[string]string{"X-Static": "yes"}
		})
		evID := e.ingest(t, "org_sign", "m-sign")
		waitUntil(t, "delivery", func() bool { return deliveryOf(t, db, evID).Status == DeliveryDelivered })
		reqs := h.got()
		if len(reqs) != 2 {
			t.Fatalf("got %d requests, want 2 (one retry)", len(reqs))
		}
		for i, r := range reqs {
			for _, secret := range []string{current, previous} {
				if err := verifyStandardWebhook(secret, r.header, r.body, time.Now()); err != nil {
					t.Errorf("request %d does not verify with %s: %v", i+1, secret[:10], err)
				}
			}
			if err := verifyStandardWebhook("whsec_"+base64.StdEncoding.EncodeToString([]byte("some-other-secret-xx")), r.header, r.body, time.Now()); err == nil {
				t.Errorf("request %d verifies with an unrelated secret", i+1)
			}
			want := map[string]string{"X-Api-Key": "key-s3cret", "X-Static": "yes", "Content-Type": "application/json",
				"User-Agent": "Switchboard/test", "X-Switchboard-Event": "interview.evaluation", "X-Switchboard-Tenant": strconv.FormatInt(tn.ID, 10)}
			for k, v := range want {
				if got := r.header.Get(k); got != v {
					t.Errorf("request %d %s = %q, want %q", i+1, k, got, v)
				}
			}
		}
		if a, b := reqs[0].header.Get("webhook-id"), reqs[1].header.Get("webhook-id"); a == "" || a != b {
			t.Errorf("webhook-id %q then %q, want one stable id", a, b)
		}
		atts := attemptsOf(t, db, deliveryOf(t, db, evID).ID)
		if got := atts[0].RequestHeaders["X-Api-Key"]; got != redacted {
			t.Errorf("recorded X-Api-Key = %q, want redacted", got)
		}
		if atts[0].RequestHeaders["Webhook-Signature"] == "" || atts[0].ResponseHeaders == nil {
			t.Errorf("attempt headers not recorded: %+v", atts[0])
		}
		_ = ep
	})
}

// TestAuthHeaders: bearer and basic auth reach the endpoint and are redacted in the record.
func TestAuthHeaders(t *testing.T) {
	cases := []struct {
		name   string
		typ    tenants.AuthType
		secret string
		want   string
	}{
		{"bearer", tenants.AuthBearer, "tok-123", "Bearer tok-123"},
		{"basic", tenants.AuthBasic, "user:pa ss", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:pa ss"))},
	}
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				h := newHook(t, nil)
				createTenant(t, db, "org_auth_"+tc.name, h.URL, func(ep *tenants.Endpoint) {
					ep.AuthType = tc.typ
					ep.AuthSecretSealed, _ = e.keyring.Seal([]byte(tc.secret), fmt.Sprintf("endpoint:%d:auth", ep.ID))
				})
				evID := e.ingest(t, "org_auth_"+tc.name, "m-auth-"+tc.name)
				waitUntil(t, "delivery", func() bool { return deliveryOf(t, db, evID).Status == DeliveryDelivered })
				if got := h.got()[0].header.Get("Authorization"); got != tc.want {
					t.Errorf("Authorization = %q, want %q", got, tc.want)
				}
				if got := attemptsOf(t, db, deliveryOf(t, db, evID).ID)[0].RequestHeaders["Authorization"]; got != redacted {
					t.Errorf("recorded Authorization = %q, want redacted", got)
				}
			})
		}
	})
}
