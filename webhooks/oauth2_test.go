package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// testClientSecret is the OAuth2 client secret of the test endpoints: it
// must reach the token endpoint (HTTP Basic) and nothing else.
const testClientSecret = "cs-s3cret-9f2b7"

// tokenServer is a stand-in OAuth2 token endpoint. answer writes the n-th
// (1-based) answer; nil grants "tok-<n>" for an hour.
type tokenServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []tokenRequest
	answer func(n int, w http.ResponseWriter)
}

type tokenRequest struct {
	user, pass string
	basic      bool
	form       url.Values
}

func newTokenServer(t testing.TB, answer func(n int, w http.ResponseWriter)) *tokenServer {
	s := &tokenServer{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		user, pass, basic := r.BasicAuth()
		user, _ = url.QueryUnescape(user) // RFC 6749 §2.3.1 form-encodes both
		pass, _ = url.QueryUnescape(pass)
		s.mu.Lock()
		s.reqs = append(s.reqs, tokenRequest{user: user, pass: pass, basic: basic, form: r.PostForm})
		n := len(s.reqs)
		s.mu.Unlock()
		if s.answer != nil {
			s.answer(n, w)
			return
		}
		grantToken(w, fmt.Sprintf("tok-%d", n), 3600)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *tokenServer) requests() []tokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tokenRequest(nil), s.reqs...)
}

func grantToken(w http.ResponseWriter, token string, expiresIn int) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": token, "token_type": "bearer", "expires_in": expiresIn})
}

func tokenRefusal(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// oauth2Auth configures an endpoint for the client credentials grant at tokenURL.
func oauth2Auth(e *engine, tokenURL string, maxAttempts int) func(*tenants.Endpoint) {
	return func(ep *tenants.Endpoint) {
		ep.AuthType, ep.MaxAttempts = tenants.AuthOAuth2, maxAttempts
		ep.OAuth2TokenURL, ep.OAuth2ClientID, ep.OAuth2ClientAuth = tokenURL, "client-1", tenants.OAuth2ClientAuthBasic
		ep.OAuth2Scopes, ep.OAuth2Params = []string{"harvest:notes:create"}, map[string]string{"sub": "42"}
		ep.AuthSecretSealed, _ = e.keyring.Seal([]byte(testClientSecret), fmt.Sprintf("endpoint:%d:auth", ep.ID))
	}
}

// bearerOf is the access token a receiver got ("" without a bearer).
func bearerOf(r *recorded) string {
	return strings.TrimPrefix(r.header.Get("Authorization"), "Bearer ")
}

// acceptOnly answers 204 to the given access token and 401 to any other.
func acceptOnly(token string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// syncBuffer collects the engine's logs from many workers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// assertSecretNowhere fails if the client secret is in any attempt or
// delivery row of db, or in logs.
func assertSecretNowhere(t *testing.T, db *database.DB, logs string) {
	t.Helper()
	var atts []Attempt
	var ds []Delivery
	db.Gorm.Find(&atts)
	db.Gorm.Find(&ds)
	rows, _ := json.Marshal([]any{atts, ds})
	if strings.Contains(string(rows), testClientSecret) {
		t.Errorf("the client secret is in an attempt or delivery record")
	}
	if strings.Contains(logs, testClientSecret) {
		t.Errorf("the client secret is in the logs")
	}
}

// TestOAuth2TokenSharedByDeliveries: many deliveries to an oauth2 endpoint
// cost one token request (client secret by HTTP Basic, scope and the extra
// parameter in the form); each carries the bearer token, recorded as
// [redacted], and the secret is in no record or log line.
func TestOAuth2TokenSharedByDeliveries(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		logs := &syncBuffer{}
		e := startEngine(t, db, engineOpts{logs: logs})
		ts := newTokenServer(t, nil)
		h := newHook(t, acceptOnly("tok-1"))
		createTenant(t, db, "org_oauth", h.URL+"/hook", oauth2Auth(e, ts.URL+"/token", 0))
		var events []int64
		for i := range 6 {
			events = append(events, e.ingest(t, "org_oauth", fmt.Sprintf("m-oauth-%d", i)))
		}
		for _, id := range events {
			waitUntil(t, "every delivery", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			if d := deliveryOf(t, db, id); d.Status != DeliveryDelivered {
				t.Fatalf("delivery %d is %s (%s), want delivered", d.ID, d.Status, d.LastError)
			}
			if got := attemptsOf(t, db, deliveryOf(t, db, id).ID)[0].RequestHeaders["Authorization"]; got != redacted {
				t.Errorf("recorded Authorization = %q, want %q", got, redacted)
			}
		}
		reqs := ts.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d token requests for 6 deliveries, want 1", len(reqs))
		}
		r := reqs[0]
		if !r.basic || r.user != "client-1" || r.pass != testClientSecret || r.form.Has("client_secret") {
			t.Errorf("token request: basic %t user %q, secret in form %t; want the client id and secret by HTTP Basic only", r.basic, r.user, r.form.Has("client_secret"))
		}
		if r.form.Get("grant_type") != "client_credentials" || r.form.Get("scope") != "harvest:notes:create" || r.form.Get("sub") != "42" {
			t.Errorf("token request form %v, want grant_type=client_credentials, the scope and sub=42", r.form)
		}
		for i, got := range h.got() {
			if bearerOf(got) != "tok-1" {
				t.Errorf("delivery request %d carried %q, want Bearer tok-1", i+1, got.header.Get("Authorization"))
			}
		}
		assertSecretNowhere(t, db, logs.String())
	})
}

// TestOAuth2TokenRefreshedBeforeExpiry: a token within tokenEarlyExpiry of
// its expiry is replaced before it is sent; a fresh one is reused.
func TestOAuth2TokenRefreshedBeforeExpiry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		ts := newTokenServer(t, func(n int, w http.ResponseWriter) {
			life := 3600
			if n == 1 {
				life = 30 // shorter than tokenEarlyExpiry: stale at its next use
			}
			grantToken(w, fmt.Sprintf("tok-%d", n), life)
		})
		h := newHook(t, nil)
		createTenant(t, db, "org_oauth_exp", h.URL+"/hook", oauth2Auth(e, ts.URL+"/token", 0))
		for i := range 3 {
			id := e.ingest(t, "org_oauth_exp", fmt.Sprintf("m-exp-%d", i))
			waitUntil(t, "the delivery", func() bool { return deliveryOf(t, db, id).Status == DeliveryDelivered })
		}
		var got []string
		for _, r := range h.got() {
			got = append(got, bearerOf(r))
		}
		if want := "tok-1 tok-2 tok-2"; strings.Join(got, " ") != want || len(ts.requests()) != 2 {
			t.Fatalf("tokens sent %v after %d token requests, want %s after 2", got, len(ts.requests()), want)
		}
	})
}

// oauthFailureCases are token endpoints that fail. None sends the
// delivery; each is an "auth" attempt naming the token endpoint and what
// it said, retried on the schedule (an admin may fix the credentials).
var oauthFailureCases = []struct {
	name       string
	answer     func(n int, w http.ResponseWriter)
	down       bool // the token endpoint does not listen
	wantStatus DeliveryStatus
	wantError  string // the first attempt's error contains it
	wantSent   int    // delivery requests that reached the receiver
}{
	{name: "invalid_client", answer: func(_ int, w http.ResponseWriter) {
		tokenRefusal(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
	}, wantStatus: DeliveryFailed, wantError: "answered 401: invalid_client (Client authentication failed)"},
	{name: "answer that is not a token", answer: func(_ int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>maintenance</html>"))
	}, wantStatus: DeliveryFailed, wantError: "answered 200 without a usable token"},
	// A description echoing the client secret across the point where it is
	// cut: masked first, so no part of the secret is kept.
	{name: "long description echoing the secret", answer: func(_ int, w http.ResponseWriter) {
		tokenRefusal(w, http.StatusUnauthorized, "invalid_client", strings.Repeat("x", 180)+" got "+testClientSecret+" and more")
	}, wantStatus: DeliveryFailed, wantError: "answered 401: invalid_client (" + strings.Repeat("x", 180) + " got [redacted] and …)"},
	{name: "token endpoint down", down: true, wantStatus: DeliveryFailed, wantError: "connection refused"},
	{name: "503, then a token", answer: func(n int, w http.ResponseWriter) {
		if n == 1 {
			tokenRefusal(w, http.StatusServiceUnavailable, "temporarily_unavailable", "")
			return
		}
		grantToken(w, "tok-ok", 3600)
	}, wantStatus: DeliveryDelivered, wantError: "answered 503: temporarily_unavailable", wantSent: 1},
}

// TestOAuth2TokenEndpointFailures: see oauthFailureCases.
func TestOAuth2TokenEndpointFailures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		logs := &syncBuffer{}
		e := startEngine(t, db, engineOpts{logs: logs})
		for i, tc := range oauthFailureCases {
			t.Run(tc.name, func(t *testing.T) {
				ts := newTokenServer(t, tc.answer)
				if tc.down {
					ts.Close()
				}
				h := newHook(t, nil)
				src := fmt.Sprintf("org_oauth_fail_%d", i)
				createTenant(t, db, src, h.URL+"/hook", oauth2Auth(e, ts.URL+"/token", 2))
				id := e.ingest(t, src, "m-"+src)
				waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
				d := deliveryOf(t, db, id)
				atts := attemptsOf(t, db, d.ID)
				if d.Status != tc.wantStatus || len(atts) != 2 || len(h.got()) != tc.wantSent {
					t.Fatalf("got %s after %d attempts, %d sent; want %s after 2 (retried), %d sent", d.Status, len(atts), len(h.got()), tc.wantStatus, tc.wantSent)
				}
				a := atts[0]
				if a.ErrorClass != "auth" || !strings.Contains(a.Error, "token endpoint "+ts.URL+"/token") || !strings.Contains(a.Error, tc.wantError) {
					t.Errorf("first attempt: class %q, error %q; want auth, naming the token endpoint and %q", a.ErrorClass, a.Error, tc.wantError)
				}
				if a.StatusCode != nil {
					t.Errorf("first attempt records status %d, want none (the receiver was not called)", *a.StatusCode)
				}
			})
		}
		assertSecretNowhere(t, db, logs.String())
	})
}

// TestOAuth2Receiver401: a receiver's 401 drops the cached token and the
// delivery is tried again with a fresh one, though a 401 is otherwise not
// retried; a second 401 in the same round fails it (no loop).
func TestOAuth2Receiver401(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		t.Run("next try has a fresh token", func(t *testing.T) {
			ts := newTokenServer(t, nil)
			h := newHook(t, acceptOnly("tok-2")) // tok-1 was revoked before its expiry
			createTenant(t, db, "org_oauth_401", h.URL+"/hook", oauth2Auth(e, ts.URL+"/token", 5))
			id := e.ingest(t, "org_oauth_401", "m-401")
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			d := deliveryOf(t, db, id)
			atts := attemptsOf(t, db, d.ID)
			if d.Status != DeliveryDelivered || len(atts) != 2 || len(ts.requests()) != 2 {
				t.Fatalf("got %s after %d attempts and %d token requests, want delivered after 2 and 2", d.Status, len(atts), len(ts.requests()))
			}
			if atts[0].StatusCode == nil || *atts[0].StatusCode != 401 || !strings.Contains(atts[0].Error, "fresh one") {
				t.Errorf("first attempt %v %q, want 401 saying a fresh token comes next", atts[0].StatusCode, atts[0].Error)
			}
		})
		t.Run("a refused client does not loop", func(t *testing.T) {
			ts := newTokenServer(t, nil)
			h := newHook(t, acceptOnly("never"))
			createTenant(t, db, "org_oauth_401b", h.URL+"/hook", oauth2Auth(e, ts.URL+"/token", 5))
			id := e.ingest(t, "org_oauth_401b", "m-401b")
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			d := deliveryOf(t, db, id)
			atts := attemptsOf(t, db, d.ID)
			if d.Status != DeliveryFailed || len(atts) != 2 || len(h.got()) != 2 || len(ts.requests()) != 2 {
				t.Fatalf("got %s after %d attempts, %d sent, %d token requests; want failed after 2, 2, 2", d.Status, len(atts), len(h.got()), len(ts.requests()))
			}
			if !strings.Contains(atts[1].Error, "401 again") {
				t.Errorf("last attempt's error %q, want it to say the receiver refused a replaced token too", atts[1].Error)
			}
		})
	})
}

// TestOAuth2TokenURLGuardedAtDial: a token URL that resolves to a private
// address is refused when the token is requested (the check at save time
// can be outlived by DNS): the attempt fails as ssrf-blocked, no request.
func TestOAuth2TokenURLGuardedAtDial(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{guard: &egress.Guard{}})
		ts := newTokenServer(t, nil)
		h := newHook(t, nil)
		createTenant(t, db, "org_oauth_ssrf", h.URL+"/hook", oauth2Auth(e, ts.URL+"/token", 3))
		id := e.ingest(t, "org_oauth_ssrf", "m-ssrf")
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
		d := deliveryOf(t, db, id)
		atts := attemptsOf(t, db, d.ID)
		if d.Status != DeliveryFailed || len(atts) != 1 || atts[0].ErrorClass != "ssrf-blocked" || len(ts.requests()) != 0 {
			t.Fatalf("got %s, %d attempts (%+v), %d token requests; want failed once as ssrf-blocked, none", d.Status, len(atts), atts, len(ts.requests()))
		}
		if !strings.Contains(atts[0].Error, "token endpoint") {
			t.Errorf("error %q does not name the token endpoint", atts[0].Error)
		}
	})
}

// TestOAuth2AuthChangeDropsCachedToken: a new client secret (or any other
// auth setting) is never served the token of the old one; a change outside
// the auth settings keeps the cached token.
func TestOAuth2AuthChangeDropsCachedToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		ts := newTokenServer(t, nil)
		h := newHook(t, nil)
		_, ep := createTenant(t, db, "org_oauth_rot", h.URL+"/hook", oauth2Auth(e, ts.URL+"/token", 0))
		deliver := func(meeting string) {
			id := e.ingest(t, "org_oauth_rot", meeting)
			waitUntil(t, "the delivery", func() bool { return deliveryOf(t, db, id).Status == DeliveryDelivered })
		}
		deliver("m-rot-1")
		ep.AuthSecretSealed, _ = e.keyring.Seal([]byte("cs-rotated-4411"), fmt.Sprintf("endpoint:%d:auth", ep.ID))
		if err := db.Gorm.Save(ep).Error; err != nil {
			t.Fatal(err)
		}
		deliver("m-rot-2")
		if err := db.Gorm.Model(ep).Update("description", "renamed").Error; err != nil {
			t.Fatal(err)
		}
		deliver("m-rot-3")
		var got []string
		for _, r := range h.got() {
			got = append(got, bearerOf(r))
		}
		reqs := ts.requests()
		if strings.Join(got, " ") != "tok-1 tok-2 tok-2" || len(reqs) != 2 || reqs[1].pass != "cs-rotated-4411" {
			t.Fatalf("tokens sent %v after %d token requests; want tok-1 tok-2 tok-2 after 2, the second with the new secret", got, len(reqs))
		}
	})
}

// TestOAuth2TokenSharedAcrossReplicas: replicas deliver with the token one
// of them fetched, stored sealed. Against a token endpoint that keeps one
// token per client (each new token revokes the one before), a replica
// still holding a refused token takes the one another replica fetched
// instead of fetching again, which would revoke that one in turn.
func TestOAuth2TokenSharedAcrossReplicas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := startEngine(t, db, engineOpts{})
		b := startEngine(t, db, engineOpts{stopped: true})
		ts := newTokenServer(t, nil)
		var mu sync.Mutex
		revoked := map[string]bool{}
		// The receiver takes only the newest token issued, unless revoked.
		h := newHook(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			newest := fmt.Sprintf("tok-%d", len(ts.requests()))
			if got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); got != newest || revoked[got] {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		createTenant(t, db, "org_oauth_replicas", h.URL+"/hook", oauth2Auth(a, ts.URL+"/token", 5))
		deliver := func(e *engine, meetingCode string, attempts int) {
			t.Helper()
			id := e.ingest(t, "org_oauth_replicas", meetingCode)
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			d := deliveryOf(t, db, id)
			if n := len(attemptsOf(t, db, d.ID)); d.Status != DeliveryDelivered || n != attempts {
				t.Fatalf("%s: %s after %d attempts (%s), want delivered after %d", meetingCode, d.Status, n, d.LastError, attempts)
			}
		}
		stored := func() oauth2TokenRow {
			t.Helper()
			var rows []oauth2TokenRow
			if err := db.Gorm.Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("%d stored tokens, want 1", len(rows))
			}
			return rows[0]
		}

		deliver(a, "m-oauth-rep-a", 1)
		first := stored()
		if strings.Contains(first.TokenSealed, "tok-1") || first.TokenKey == "" || first.ExpiresAt == nil || time.Until(*first.ExpiresAt) < 50*time.Minute {
			t.Fatalf("stored token %+v, want it sealed, with its fingerprint and its hour's expiry", first)
		}
		a.stop(t)
		b.start(t)
		deliver(b, "m-oauth-rep-b", 1)
		if n := len(ts.requests()); n != 1 {
			t.Fatalf("%d token requests for two replicas, want 1 (b takes a's stored token)", n)
		}

		// The token is revoked: b's next try fetches tok-2 and stores it.
		mu.Lock()
		revoked["tok-1"] = true
		mu.Unlock()
		deliver(b, "m-oauth-rep-revoked", 2)
		if row := stored(); len(ts.requests()) != 2 || row.TokenKey == first.TokenKey {
			t.Fatalf("%d token requests, stored token replaced %t; want 2 and the new token stored", len(ts.requests()), row.TokenKey != first.TokenKey)
		}

		// a still holds tok-1: refused, it takes b's tok-2 from the store
		// rather than fetching tok-3 (which would revoke tok-2 for b).
		b.stop(t)
		a.start(t)
		second := stored()
		deliver(a, "m-oauth-rep-a-again", 2)
		if n := len(ts.requests()); n != 2 {
			t.Fatalf("%d token requests, want still 2: a takes the stored token after its 401", n)
		}
		if got := h.got(); bearerOf(got[len(got)-1]) != "tok-2" {
			t.Fatalf("a's last request carried %q, want tok-2", bearerOf(got[len(got)-1]))
		}
		if row := stored(); row.TokenKey != second.TokenKey {
			t.Fatal("a's 401 to tok-1 deleted or replaced the stored tok-2")
		}
	})
}
