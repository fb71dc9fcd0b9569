package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// The credentials of the test Bullhorn endpoints: each must reach only the
// step of the login chain it belongs to, and no record or log.
const (
	bhClientID     = "bh-client-7f1e"
	bhClientSecret = "bh-cs-s3cret-20c4"
	bhUser         = "switchboard.api"
	bhPassword     = "bh-pw-s3cret-88d1"
)

// bullhornStandIn is a loopback Bullhorn: a public REST host answering
// loginInfo, an OAuth host (authorize with action=Login, token) and a data
// centre REST host (login, entity/Note), each its own server.
type bullhornStandIn struct {
	info, auth, rest *httptest.Server

	mu         sync.Mutex
	calls      []string // "loginInfo", "authorize", "token", "login", "note" in order
	authorizes []url.Values
	tokenReqs  []url.Values
	loginReqs  []url.Values
	notes      []bhNote
	valid      map[string]bool // BhRestTokens the REST host accepts
	sessions   int

	// Knobs, set before the first delivery.
	password     string                                              // the password authorize accepts
	clientSecret string                                              // the client secret token accepts
	infoAnswer   func(w http.ResponseWriter, r *http.Request) bool   // true: answered instead of loginInfo
	loginAnswer  func(w http.ResponseWriter, r *http.Request) bool   // true: answered instead of login
	tokenAnswer  func(w http.ResponseWriter, r *http.Request) bool   // true: answered instead of token (the form parsed)
	noteAnswer   func(n int, w http.ResponseWriter, r *http.Request) // nil: 200 INSERT
	restURL      string                                              // login's restUrl (default: the REST host's corp path)
}

type bhNote struct {
	method, path string
	header       http.Header
	body         []byte
}

func newBullhornStandIn(t testing.TB) *bullhornStandIn {
	s := &bullhornStandIn{password: bhPassword, clientSecret: bhClientSecret, valid: map[string]bool{}}
	s.info = httptest.NewServer(http.HandlerFunc(s.serveInfo))
	s.auth = httptest.NewServer(http.HandlerFunc(s.serveAuth))
	s.rest = httptest.NewServer(http.HandlerFunc(s.serveRest))
	t.Cleanup(func() { s.info.Close(); s.auth.Close(); s.rest.Close() })
	return s
}

func (s *bullhornStandIn) loginInfoURL() string { return s.info.URL + "/rest-services/loginInfo" }

func (s *bullhornStandIn) call(name string) {
	s.mu.Lock()
	s.calls = append(s.calls, name)
	s.mu.Unlock()
}

func (s *bullhornStandIn) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (s *bullhornStandIn) gotNotes() []bhNote {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bhNote(nil), s.notes...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *bullhornStandIn) serveInfo(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/rest-services/loginInfo" || r.Method != http.MethodGet || r.URL.Query().Get("username") != bhUser {
		http.NotFound(w, r)
		return
	}
	s.call("loginInfo")
	if s.infoAnswer != nil && s.infoAnswer(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"oauthUrl": s.auth.URL + "/oauth", "restUrl": s.rest.URL + "/rest-services",
		"atsUrl": "https://cls99.bullhornstaffing.com"})
}

func (s *bullhornStandIn) serveAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/oauth/authorize" && r.Method == http.MethodGet:
		s.call("authorize")
		s.mu.Lock()
		s.authorizes = append(s.authorizes, q)
		n := len(s.authorizes)
		s.mu.Unlock()
		switch {
		case q.Get("client_id") != bhClientID:
			http.Redirect(w, r, "https://vendor.example/cb?error=invalid_client&error_description=Invalid+client+id", http.StatusFound)
		case q.Get("action") != "Login" || q.Get("response_type") != "code" || q.Get("username") != bhUser || q.Get("password") != s.password:
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><form>Invalid username or password for " + q.Get("username") + "</form></html>"))
		default:
			http.Redirect(w, r, fmt.Sprintf("https://vendor.example/cb?code=bh-code-%d&client_id=%s", n, bhClientID), http.StatusFound)
		}
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		s.call("token")
		_ = r.ParseForm()
		s.mu.Lock()
		s.tokenReqs = append(s.tokenReqs, r.Form)
		n := len(s.tokenReqs)
		s.mu.Unlock()
		if s.tokenAnswer != nil && s.tokenAnswer(w, r) {
			return
		}
		if r.Form.Get("client_id") != bhClientID || r.Form.Get("client_secret") != s.clientSecret {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client", "error_description": "Bad client credentials"})
			return
		}
		if r.Form.Get("grant_type") != "authorization_code" || !strings.HasPrefix(r.Form.Get("code"), "bh-code-") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": fmt.Sprintf("bh-at-%d", n), "token_type": "Bearer",
			"refresh_token": "rt-never-used", "expires_in": 600})
	default:
		http.NotFound(w, r)
	}
}

func (s *bullhornStandIn) serveRest(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/rest-services/login" && r.Method == http.MethodPost:
		s.call("login")
		s.mu.Lock()
		s.loginReqs = append(s.loginReqs, r.URL.Query())
		s.mu.Unlock()
		if s.loginAnswer != nil && s.loginAnswer(w, r) {
			return
		}
		if r.URL.Query().Get("version") != "2.0" || !strings.HasPrefix(r.URL.Query().Get("access_token"), "bh-at-") {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errorMessage": "Invalid access token", "errorCode": 401})
			return
		}
		s.mu.Lock()
		s.sessions++
		token := fmt.Sprintf("bh-session-%d", s.sessions)
		s.valid[token] = true
		s.mu.Unlock()
		rest := s.restURL
		if rest == "" {
			rest = s.rest.URL + "/rest-services/corp42/"
		}
		writeJSON(w, http.StatusOK, map[string]string{"BhRestToken": token, "restUrl": rest})
	case r.URL.Path == "/rest-services/corp42/ping" && r.Method == http.MethodGet:
		// Bullhorn's ping: the session's expiry, for a valid BhRestToken only.
		s.call("ping")
		s.mu.Lock()
		ok := s.valid[r.Header.Get("BhRestToken")]
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errorMessage": "Bad 'BhRestToken' or timed-out.", "errorCode": 401})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"sessionExpires": 1795000000000})
	case strings.HasPrefix(r.URL.Path, "/rest-services/corp42/"):
		s.call("note")
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.notes = append(s.notes, bhNote{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
		n := len(s.notes)
		ok := s.valid[r.Header.Get("BhRestToken")]
		s.mu.Unlock()
		if s.noteAnswer != nil {
			s.noteAnswer(n, w, r)
			return
		}
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errorMessage": "Bad 'BhRestToken' or timed-out.", "errorCode": 401})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"changedEntityType": "Note", "changedEntityId": 1000 + n, "changeType": "INSERT"})
	default:
		http.NotFound(w, r)
	}
}

// expire ends every session (Bullhorn's idle timeout).
func (s *bullhornStandIn) expire() {
	s.mu.Lock()
	s.valid = map[string]bool{}
	s.mu.Unlock()
}

// bhURL is the URL of the test Bullhorn endpoints: a Note under the session's restUrl.
const bhURL = tenants.BullhornRestURL + "entity/Note"

// bullhornAuth configures an endpoint for the stand-in.
func bullhornAuth(e *engine, bh *bullhornStandIn, maxAttempts int) func(*tenants.Endpoint) {
	return func(ep *tenants.Endpoint) {
		ep.URL, ep.Method, ep.AuthType, ep.MaxAttempts = bhURL, http.MethodPut, tenants.AuthBullhorn, maxAttempts
		ep.OAuth2ClientID, ep.BullhornUsername, ep.BullhornLoginInfoURL = bhClientID, bhUser, bh.loginInfoURL()
		ep.AuthSecretSealed, _ = e.keyring.Seal([]byte(bhClientSecret), tenants.EndpointSecretContext(ep.ID, "auth"))
		ep.BullhornPasswordSealed, _ = e.keyring.Seal([]byte(bhPassword), tenants.EndpointSecretContext(ep.ID, "bullhorn_password"))
	}
}

// assertNoBullhornSecret fails if a credential, the session token or the
// access token is in any attempt or delivery row, or in logs.
func assertNoBullhornSecret(t *testing.T, db *database.DB, logs string) {
	t.Helper()
	var atts []Attempt
	var ds []Delivery
	db.Gorm.Find(&atts)
	db.Gorm.Find(&ds)
	rows, _ := json.Marshal([]any{atts, ds})
	for _, secret := range []string{bhClientSecret, bhPassword, "bh-session-", "bh-at-", "bh-code-"} {
		if strings.Contains(string(rows), secret) {
			t.Errorf("%q is in an attempt or delivery record: %s", secret, rows)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("%q is in the logs", secret)
		}
	}
}

// ingestEvaluation stores Boooply's evaluation sample for sourceID under meetingCode.
func ingestEvaluation(t *testing.T, e *engine, sourceID, meetingCode string) int64 {
	t.Helper()
	b, err := Sample("interview.evaluation")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(strings.Replace(string(b), "org_7234567890", sourceID, 1), "Boooply-AI-1234567890", meetingCode, 1)
	res, err := e.svc.Ingest(context.Background(), mustParse(t, body))
	if err != nil || res.Status != Accepted {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	return res.EventID
}

// TestBullhornDeliversNote: the bullhorn-candidate-note preset on an
// evaluation, through the whole login chain (loginInfo, authorize with the
// API user, token with the client secret, /login), PUT to entity/Note under
// the session's restUrl with the BhRestToken header; the token is recorded
// as [redacted] and no credential is in any record or log.
func TestBullhornDeliversNote(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		logs := &syncBuffer{}
		e := startEngine(t, db, engineOpts{logs: logs})
		bh := newBullhornStandIn(t)
		tn, ep := createTenant(t, db, "org_bh", bhURL, bullhornAuth(e, bh, 0))
		p, _ := routing.FindPreset("bullhorn-candidate-note")
		spec, err := routing.ParseMapping(p.Mapping)
		if err != nil {
			t.Fatal(err)
		}
		maps := routing.NewStore(db.Gorm)
		if _, err := maps.CreateVersion(ctx, tn.ID, ep.ID, spec, "test", ""); err != nil {
			t.Fatal(err)
		}
		if err := maps.PutCorrelation(ctx, &routing.Correlation{TenantID: tn.ID, MeetingCode: "m-bh-1", Attributes: map[string]string{"candidate_id": "4711"}}); err != nil {
			t.Fatal(err)
		}
		id := ingestEvaluation(t, e, "org_bh", "m-bh-1")
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
		if d := deliveryOf(t, db, id); d.Status != DeliveryDelivered {
			t.Fatalf("delivery is %s (%s), want delivered", d.Status, d.LastError)
		}
		bh.mu.Lock()
		calls := strings.Join(bh.calls, " ")
		bh.mu.Unlock()
		if got := calls; got != "loginInfo authorize token login note" {
			t.Fatalf("Bullhorn saw %q, want the login chain then one note", got)
		}
		a := bh.authorizes[0]
		if a.Get("client_id") != bhClientID || a.Get("username") != bhUser || a.Get("password") != bhPassword || a.Has("client_secret") {
			t.Errorf("authorize got %v, want the client id and the API user's name and password, no client secret", a)
		}
		tr := bh.tokenReqs[0]
		if tr.Get("grant_type") != "authorization_code" || tr.Get("code") != "bh-code-1" || tr.Get("client_secret") != bhClientSecret || tr.Has("password") {
			t.Errorf("token request got %v, want the code and the client secret, no password", tr)
		}
		if l := bh.loginReqs[0]; l.Get("access_token") != "bh-at-1" || l.Get("version") != "2.0" {
			t.Errorf("login got %v, want access_token=bh-at-1 and version=2.0", l)
		}
		n := bh.gotNotes()[0]
		if n.method != http.MethodPut || n.path != "/rest-services/corp42/entity/Note" || n.header.Get("BhRestToken") != "bh-session-1" {
			t.Errorf("note: %s %s with BhRestToken %q, want PUT /rest-services/corp42/entity/Note with bh-session-1", n.method, n.path, n.header.Get("BhRestToken"))
		}
		var note struct {
			Action, Comments string
			ExternalID       string `json:"externalID"`
		}
		if err := json.Unmarshal(n.body, &note); err != nil {
			t.Fatalf("note body %s: %v", n.body, err)
		}
		for _, want := range []string{`"personReference":{"id":4711}`, `"commentingPerson":{"id":0}`} {
			if !strings.Contains(string(n.body), want) {
				t.Errorf("note %s lacks %s", n.body, want)
			}
		}
		if note.ExternalID != "m-bh-1" || note.Action == "" {
			t.Errorf("note %s: want externalID m-bh-1 and an action", n.body)
		}
		for _, want := range []string{"Recommendation: PASS", "Rating: 3/5", "overall score: 72/100", "Strengths: Strong React fundamentals", "Weaknesses: Limited system design"} {
			if !strings.Contains(note.Comments, want) {
				t.Errorf("comments %q lack %q", note.Comments, want)
			}
		}
		atts := attemptsOf(t, db, deliveryOf(t, db, id).ID)
		if got := atts[0].RequestHeaders["Bhresttoken"]; got != redacted {
			t.Errorf("recorded BhRestToken header %q, want %q (headers %v)", got, redacted, atts[0].RequestHeaders)
		}
		assertNoBullhornSecret(t, db, logs.String())
	})
}

// TestBullhornSessionShared: many deliveries to a bullhorn endpoint cost
// one login; a change of its credentials logs in again.
func TestBullhornSessionShared(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		bh := newBullhornStandIn(t)
		_, ep := createTenant(t, db, "org_bh_many", bhURL, bullhornAuth(e, bh, 0))
		var events []int64
		for i := range 8 {
			events = append(events, e.ingest(t, "org_bh_many", fmt.Sprintf("m-bh-many-%d", i)))
		}
		for _, id := range events {
			waitUntil(t, "every delivery", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			if d := deliveryOf(t, db, id); d.Status != DeliveryDelivered {
				t.Fatalf("delivery %d is %s (%s), want delivered", d.ID, d.Status, d.LastError)
			}
		}
		if bh.count("login") != 1 || bh.count("loginInfo") != 1 || bh.count("note") != 8 {
			t.Fatalf("%d loginInfo, %d logins for %d notes; want 1, 1, 8", bh.count("loginInfo"), bh.count("login"), bh.count("note"))
		}
		// The same password set again is the same login: the session stays.
		ep.BullhornPasswordSealed, _ = e.keyring.Seal([]byte(bhPassword), tenants.EndpointSecretContext(ep.ID, "bullhorn_password"))
		if err := db.Gorm.Save(ep).Error; err != nil {
			t.Fatal(err)
		}
		id := e.ingest(t, "org_bh_many", "m-bh-many-same")
		waitUntil(t, "the delivery", func() bool { return deliveryOf(t, db, id).Status == DeliveryDelivered })
		if bh.count("login") != 1 {
			t.Fatalf("%d logins after the same password was set again, want 1", bh.count("login"))
		}
		// Another password is another login.
		const newPassword = "bh-pw-s3cret-rotated-41a7"
		bh.mu.Lock()
		bh.password = newPassword
		bh.mu.Unlock()
		ep.BullhornPasswordSealed, _ = e.keyring.Seal([]byte(newPassword), tenants.EndpointSecretContext(ep.ID, "bullhorn_password"))
		if err := db.Gorm.Save(ep).Error; err != nil {
			t.Fatal(err)
		}
		id = e.ingest(t, "org_bh_many", "m-bh-many-after")
		waitUntil(t, "the delivery", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
		if d := deliveryOf(t, db, id); d.Status != DeliveryDelivered || bh.count("login") != 2 {
			t.Fatalf("delivery %s (%s) after %d logins once the password changed, want delivered after 2", d.Status, d.LastError, bh.count("login"))
		}
	})
}

// TestBullhornSessionSharedAcrossEndpoints: endpoints that log in as the
// same API user with the same secrets share one session, across tenants
// (one login, one session against Bullhorn's per-corporation cap); a 401
// to one of them drops it for all; other settings or secrets get a
// session of their own, and a failing login leaves the shared one alone.
func TestBullhornSessionSharedAcrossEndpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		bh := newBullhornStandIn(t)
		createTenant(t, db, "org_bh_share_a", bhURL, bullhornAuth(e, bh, 5))
		createTenant(t, db, "org_bh_share_b", bhURL, bullhornAuth(e, bh, 5))
		deliver := func(source, meetingCode string) Delivery {
			t.Helper()
			id := e.ingest(t, source, meetingCode)
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			return deliveryOf(t, db, id)
		}
		for i := range 3 {
			for _, source := range []string{"org_bh_share_a", "org_bh_share_b"} {
				if d := deliver(source, fmt.Sprintf("m-%s-%d", source, i)); d.Status != DeliveryDelivered {
					t.Fatalf("%s: delivery %s (%s), want delivered", source, d.Status, d.LastError)
				}
			}
		}
		tokens := map[string]bool{}
		for _, n := range bh.gotNotes() {
			tokens[n.header.Get(bullhornTokenHeader)] = true
		}
		if bh.count("login") != 1 || bh.count("note") != 6 || len(tokens) != 1 {
			t.Fatalf("%d logins, %d notes, %d distinct session tokens for two endpoints of one API user; want 1, 6, 1",
				bh.count("login"), bh.count("note"), len(tokens))
		}

		// The session ends: the endpoint that meets the 401 logs in again,
		// and the other one uses that new session at its first try.
		bh.expire()
		if d := deliver("org_bh_share_a", "m-bh-share-expired"); d.Status != DeliveryDelivered || len(attemptsOf(t, db, d.ID)) != 2 {
			t.Fatalf("after the session ended: %s after %d attempts, want delivered after 2", d.Status, len(attemptsOf(t, db, d.ID)))
		}
		if d := deliver("org_bh_share_b", "m-bh-share-after"); d.Status != DeliveryDelivered || len(attemptsOf(t, db, d.ID)) != 1 {
			t.Fatalf("the other endpoint: %s after %d attempts, want delivered at its first (the new session)", d.Status, len(attemptsOf(t, db, d.ID)))
		}
		if bh.count("login") != 2 {
			t.Fatalf("%d logins after the session ended, want 2", bh.count("login"))
		}

		// Another redirect URI is another login configuration.
		createTenant(t, db, "org_bh_share_c", bhURL, func(ep *tenants.Endpoint) {
			bullhornAuth(e, bh, 5)(ep)
			ep.BullhornRedirectURI = "https://vendor.example/other-callback"
		})
		if d := deliver("org_bh_share_c", "m-bh-share-c"); d.Status != DeliveryDelivered || bh.count("login") != 3 {
			t.Fatalf("other redirect URI: %s after %d logins, want delivered after 3", d.Status, bh.count("login"))
		}

		// The same user with a wrong password shares nothing: it fails on its
		// own, and the endpoints with the right one keep their session.
		createTenant(t, db, "org_bh_share_d", bhURL, func(ep *tenants.Endpoint) {
			bullhornAuth(e, bh, 1)(ep)
			ep.BullhornPasswordSealed, _ = e.keyring.Seal([]byte("not-the-password"), tenants.EndpointSecretContext(ep.ID, "bullhorn_password"))
		})
		if d := deliver("org_bh_share_d", "m-bh-share-d"); d.Status != DeliveryFailed || !strings.Contains(d.LastError, "authorize") {
			t.Fatalf("wrong password: %s (%q), want failed at authorize", d.Status, d.LastError)
		}
		logins := bh.count("login")
		if d := deliver("org_bh_share_a", "m-bh-share-a-last"); d.Status != DeliveryDelivered || bh.count("login") != logins {
			t.Fatalf("after another endpoint's failed login: %s, %d logins (was %d), want delivered on the kept session", d.Status, bh.count("login"), logins)
		}
	})
}

// TestBullhornSessionSharedAcrossReplicas: two replicas on one database
// share the session one of them opened (stored sealed, never in clear); a
// stored session nobody used for the idle time is not taken; a 401 at one
// replica deletes the stored session, so the other logs in once too and
// stores the new one.
func TestBullhornSessionSharedAcrossReplicas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := startEngine(t, db, engineOpts{})
		b := startEngine(t, db, engineOpts{stopped: true})
		bh := newBullhornStandIn(t)
		createTenant(t, db, "org_bh_replicas", bhURL, bullhornAuth(a, bh, 5))
		deliver := func(e *engine, meetingCode string) Delivery {
			t.Helper()
			id := e.ingest(t, "org_bh_replicas", meetingCode)
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			return deliveryOf(t, db, id)
		}
		storedRows := func() []bullhornSessionRow {
			t.Helper()
			var rows []bullhornSessionRow
			if err := db.Gorm.Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			return rows
		}

		if d := deliver(a, "m-bh-rep-a"); d.Status != DeliveryDelivered {
			t.Fatalf("replica a: %s (%s)", d.Status, d.LastError)
		}
		rows := storedRows()
		if len(rows) != 1 || strings.Contains(rows[0].TokenSealed, "bh-session-") || rows[0].TokenKey == "" {
			t.Fatalf("stored sessions %+v, want one, its token sealed", rows)
		}
		firstToken := rows[0].TokenKey
		a.stop(t)
		b.start(t)
		if d := deliver(b, "m-bh-rep-b"); d.Status != DeliveryDelivered || len(attemptsOf(t, db, d.ID)) != 1 {
			t.Fatalf("replica b: %s (%s), want delivered at its first attempt", d.Status, d.LastError)
		}
		notes := bh.gotNotes()
		if bh.count("login") != 1 || len(notes) != 2 || notes[0].header.Get(bullhornTokenHeader) != notes[1].header.Get(bullhornTokenHeader) {
			t.Fatalf("%d logins and %d notes for two replicas; want 1 login, both notes on its session", bh.count("login"), len(notes))
		}

		// A 401 at b: b logs in again and stores the new session.
		bh.expire()
		if d := deliver(b, "m-bh-rep-expired"); d.Status != DeliveryDelivered || len(attemptsOf(t, db, d.ID)) != 2 {
			t.Fatalf("after the session ended: %s after %d attempts, want delivered after 2", d.Status, len(attemptsOf(t, db, d.ID)))
		}
		if rows := storedRows(); bh.count("login") != 2 || len(rows) != 1 || rows[0].TokenKey == firstToken {
			t.Fatalf("%d logins, %d stored sessions after the 401 (the refused one kept: %v); want 2 and 1, the new session",
				bh.count("login"), len(rows), len(rows) == 1 && rows[0].TokenKey == firstToken)
		}

		// A stored session nobody used for the idle time is not taken: a
		// third replica logs in.
		if err := db.Gorm.Model(&bullhornSessionRow{}).Where("1 = 1").
			Update("used_at", time.Now().Add(-bullhornSessionIdle-time.Minute).UTC()).Error; err != nil {
			t.Fatal(err)
		}
		b.stop(t)
		c := startEngine(t, db, engineOpts{})
		if d := deliver(c, "m-bh-rep-c"); d.Status != DeliveryDelivered || bh.count("login") != 3 {
			t.Fatalf("idle stored session: %s after %d logins, want delivered after 3", d.Status, bh.count("login"))
		}
		if rows := storedRows(); len(rows) != 1 || time.Since(rows[0].UsedAt) > time.Minute {
			t.Fatalf("stored sessions %+v, want one, used just now", rows)
		}
	})
}

// TestBullhornSessionExpired: a 401 (the session timed out) drops it and
// the next try logs in again, once per round; a user refused again after a
// fresh login fails instead of looping.
func TestBullhornSessionExpired(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		t.Run("next try logs in again", func(t *testing.T) {
			bh := newBullhornStandIn(t)
			createTenant(t, db, "org_bh_401", bhURL, bullhornAuth(e, bh, 5))
			first := e.ingest(t, "org_bh_401", "m-bh-401-a")
			waitUntil(t, "the first delivery", func() bool { return deliveryOf(t, db, first).Status == DeliveryDelivered })
			bh.expire()
			id := e.ingest(t, "org_bh_401", "m-bh-401-b")
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			d := deliveryOf(t, db, id)
			atts := attemptsOf(t, db, d.ID)
			if d.Status != DeliveryDelivered || len(atts) != 2 || bh.count("login") != 2 {
				t.Fatalf("got %s after %d attempts and %d logins, want delivered after 2 and 2", d.Status, len(atts), bh.count("login"))
			}
			if atts[0].StatusCode == nil || *atts[0].StatusCode != 401 || !strings.Contains(atts[0].Error, "logs in again") {
				t.Errorf("first attempt %v %q, want 401 saying the next try logs in again", atts[0].StatusCode, atts[0].Error)
			}
		})
		t.Run("a refused user does not loop", func(t *testing.T) {
			bh := newBullhornStandIn(t)
			bh.noteAnswer = func(_ int, w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"errorMessage": "Bad 'BhRestToken' or timed-out.", "errorCode": 401})
			}
			createTenant(t, db, "org_bh_401b", bhURL, bullhornAuth(e, bh, 5))
			id := e.ingest(t, "org_bh_401b", "m-bh-401-c")
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			d := deliveryOf(t, db, id)
			atts := attemptsOf(t, db, d.ID)
			if d.Status != DeliveryFailed || len(atts) != 2 || bh.count("note") != 2 || bh.count("login") != 2 {
				t.Fatalf("got %s after %d attempts, %d notes, %d logins; want failed after 2, 2, 2", d.Status, len(atts), bh.count("note"), bh.count("login"))
			}
			if !strings.Contains(atts[1].Error, "again after logging in again") {
				t.Errorf("last attempt's error %q, want it to say Bullhorn refused a fresh session too", atts[1].Error)
			}
		})
	})
}

// bullhornFailureCases are login chains that fail. None sends the note;
// each is an "auth" attempt naming the step and what Bullhorn said,
// retried on the schedule, with no credential in its message.
var bullhornFailureCases = []struct {
	name      string
	edit      func(bh *bullhornStandIn)
	wantError string
}{
	{name: "wrong password", edit: func(bh *bullhornStandIn) { bh.password = "another-password" },
		wantError: "Bullhorn authorize %AUTH%/oauth/authorize answered 200 without a redirect carrying a code (Bullhorn shows its login page again: check the API user name and password)"},
	{name: "invalid_client at token", edit: func(bh *bullhornStandIn) { bh.clientSecret = "another-secret" },
		wantError: "Bullhorn token %AUTH%/oauth/token answered 400: invalid_client (Bad client credentials)"},
	{name: "login refused", edit: func(bh *bullhornStandIn) {
		bh.loginAnswer = func(w http.ResponseWriter, r *http.Request) bool {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errorMessage": "Invalid access token " + r.URL.Query().Get("access_token"), "errorCode": 401})
			return true
		}
	}, wantError: "Bullhorn login %REST%/rest-services/login answered 401 (Invalid access token [redacted])"},
	{name: "loginInfo without oauthUrl", edit: func(bh *bullhornStandIn) {
		bh.infoAnswer = func(w http.ResponseWriter, _ *http.Request) bool {
			writeJSON(w, http.StatusOK, map[string]string{"restUrl": bh.rest.URL + "/rest-services"})
			return true
		}
	}, wantError: "Bullhorn loginInfo %INFO%/rest-services/loginInfo answered 200 without oauthUrl"},
	// A long description echoing the client secret across the point where
	// it is cut: masked first, so no part of the secret is kept.
	{name: "long description echoing the secret", edit: func(bh *bullhornStandIn) {
		bh.tokenAnswer = func(w http.ResponseWriter, r *http.Request) bool {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
				"error_description": strings.Repeat("x", 180) + " got " + r.Form.Get("client_secret") + " and more after it"})
			return true
		}
	}, wantError: "Bullhorn token %AUTH%/oauth/token answered 400: invalid_request (" + strings.Repeat("x", 180) + " got [redacted] and …)"},
	// The request URL carries the password in its query: the transport
	// error names the URL without it.
	{name: "OAuth host down", edit: func(bh *bullhornStandIn) { bh.auth.Close() },
		wantError: "Bullhorn authorize %AUTH%/oauth/authorize: dial tcp %AUTHHOST%: connect: connection refused"},
}

// TestBullhornLoginFailures: see bullhornFailureCases.
func TestBullhornLoginFailures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		logs := &syncBuffer{}
		e := startEngine(t, db, engineOpts{logs: logs})
		for i, tc := range bullhornFailureCases {
			t.Run(tc.name, func(t *testing.T) {
				bh := newBullhornStandIn(t)
				tc.edit(bh)
				src := fmt.Sprintf("org_bh_fail_%d", i)
				createTenant(t, db, src, bhURL, bullhornAuth(e, bh, 2))
				id := e.ingest(t, src, "m-"+src)
				waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
				d := deliveryOf(t, db, id)
				atts := attemptsOf(t, db, d.ID)
				if d.Status != DeliveryFailed || len(atts) != 2 || bh.count("note") != 0 {
					t.Fatalf("got %s after %d attempts, %d notes; want failed after 2 (retried), none sent", d.Status, len(atts), bh.count("note"))
				}
				want := strings.NewReplacer("%AUTH%", bh.auth.URL, "%REST%", bh.rest.URL, "%INFO%", bh.info.URL,
					"%AUTHHOST%", strings.TrimPrefix(bh.auth.URL, "http://")).Replace(tc.wantError)
				if a := atts[0]; a.ErrorClass != "auth" || a.Error != want || a.StatusCode != nil {
					t.Errorf("first attempt: class %q, status %v, error %q; want auth, no status, %q", a.ErrorClass, a.StatusCode, a.Error, want)
				}
			})
		}
		assertNoBullhornSecret(t, db, logs.String())
	})
}

// TestBullhornInvalidClientAtAuthorize: an unknown client id comes back as
// error=invalid_client in the authorize redirect.
func TestBullhornInvalidClientAtAuthorize(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		bh := newBullhornStandIn(t)
		edit := bullhornAuth(e, bh, 1)
		createTenant(t, db, "org_bh_client", bhURL, func(ep *tenants.Endpoint) { edit(ep); ep.OAuth2ClientID = "unknown-client" })
		id := e.ingest(t, "org_bh_client", "m-bh-client")
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
		a := attemptsOf(t, db, deliveryOf(t, db, id).ID)[0]
		if a.ErrorClass != "auth" || !strings.HasSuffix(a.Error, "answered 302: invalid_client (Invalid client id)") || strings.Contains(a.Error, bhPassword) {
			t.Fatalf("attempt: class %q, error %q; want auth and invalid_client from the redirect", a.ErrorClass, a.Error)
		}
	})
}

// TestBullhornRedirects: a 307 to another data centre is followed within
// the login chain (loginInfo, login), each hop through the guard; a 307 to
// the note drops the session and the next try logs in again through
// loginInfo.
func TestBullhornRedirects(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		t.Run("login chain", func(t *testing.T) {
			bh := newBullhornStandIn(t)
			// The public host sends loginInfo and login to the "right" data centre.
			moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				target := bh.info.URL
				if strings.HasSuffix(r.URL.Path, "/login") {
					target = bh.rest.URL
				}
				http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			}))
			t.Cleanup(moved.Close)
			bh.infoAnswer = func(w http.ResponseWriter, _ *http.Request) bool {
				writeJSON(w, http.StatusOK, map[string]string{"oauthUrl": bh.auth.URL + "/oauth", "restUrl": moved.URL + "/rest-services"})
				return true
			}
			createTenant(t, db, "org_bh_307", bhURL, func(ep *tenants.Endpoint) {
				bullhornAuth(e, bh, 1)(ep)
				ep.BullhornLoginInfoURL = moved.URL + "/rest-services/loginInfo"
			})
			id := e.ingest(t, "org_bh_307", "m-bh-307")
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			if d := deliveryOf(t, db, id); d.Status != DeliveryDelivered || bh.count("login") != 1 {
				t.Fatalf("delivery %s (%s) after %d logins, want delivered after 1", d.Status, d.LastError, bh.count("login"))
			}
			if l := bh.loginReqs[0]; l.Get("access_token") != "bh-at-1" {
				t.Errorf("login after the redirect got %v, want the access token", l)
			}
		})
		t.Run("note answered 307", func(t *testing.T) {
			bh := newBullhornStandIn(t)
			bh.noteAnswer = func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					http.Redirect(w, r, "https://rest-elsewhere.example/rest-services/corp42/entity/Note", http.StatusTemporaryRedirect)
					return
				}
				writeJSON(w, http.StatusOK, map[string]any{"changedEntityId": 7, "changeType": "INSERT"})
			}
			createTenant(t, db, "org_bh_307b", bhURL, bullhornAuth(e, bh, 3))
			id := e.ingest(t, "org_bh_307b", "m-bh-307b")
			waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
			d := deliveryOf(t, db, id)
			atts := attemptsOf(t, db, d.ID)
			if d.Status != DeliveryDelivered || len(atts) != 2 || bh.count("loginInfo") != 2 || bh.count("note") != 2 {
				t.Fatalf("got %s after %d attempts, %d loginInfo, %d notes; want delivered after 2, 2, 2", d.Status, len(atts), bh.count("loginInfo"), bh.count("note"))
			}
			if !strings.Contains(atts[0].Error, "another data centre") {
				t.Errorf("first attempt's error %q, want it to name the data centre move", atts[0].Error)
			}
		})
	})
}

// TestBullhornGuardedAtDial: without private endpoints, a host Bullhorn's
// answers name is refused where it is dialled: a restUrl from loginInfo
// (the login fails as ssrf-blocked) or from /login (the note does), and
// nothing is sent there.
func TestBullhornGuardedAtDial(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		// The stand-in's own hosts (127.0.0.1) are allowed; 127.0.0.2 and
		// the metadata address are not.
		guard := &egress.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
		e := startEngine(t, db, engineOpts{guard: guard})
		for i, tc := range []struct {
			name string
			edit func(bh *bullhornStandIn)
			step string
		}{
			{name: "restUrl from loginInfo", step: "Bullhorn login", edit: func(bh *bullhornStandIn) {
				bh.infoAnswer = func(w http.ResponseWriter, _ *http.Request) bool {
					writeJSON(w, http.StatusOK, map[string]string{"oauthUrl": bh.auth.URL + "/oauth", "restUrl": "http://169.254.169.254/rest-services"})
					return true
				}
			}},
			{name: "restUrl from login", step: "127.0.0.2", edit: func(bh *bullhornStandIn) {
				bh.restURL = strings.Replace(bh.rest.URL, "127.0.0.1", "127.0.0.2", 1) + "/rest-services/corp42/"
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				bh := newBullhornStandIn(t)
				tc.edit(bh)
				src := fmt.Sprintf("org_bh_ssrf_%d", i)
				createTenant(t, db, src, bhURL, bullhornAuth(e, bh, 3))
				id := e.ingest(t, src, "m-"+src)
				waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
				d := deliveryOf(t, db, id)
				atts := attemptsOf(t, db, d.ID)
				if d.Status != DeliveryFailed || len(atts) != 1 || atts[0].ErrorClass != "ssrf-blocked" || bh.count("note") != 0 {
					t.Fatalf("got %s, %d attempts (%+v), %d notes; want failed once as ssrf-blocked, none sent", d.Status, len(atts), atts, bh.count("note"))
				}
				if !strings.Contains(atts[0].Error, tc.step) || !strings.Contains(atts[0].Error, "not allowed") {
					t.Errorf("error %q, want it to name %s and the refusal", atts[0].Error, tc.step)
				}
			})
		}
	})
}

// TestBullhornURLWithoutSession: a bullhorn endpoint whose URL does not
// start with the session placeholder (written around validation) never
// gets the session token: the delivery fails as a config error, no login.
func TestBullhornURLWithoutSession(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		bh := newBullhornStandIn(t)
		h := newHook(t, nil)
		createTenant(t, db, "org_bh_url", bhURL, func(ep *tenants.Endpoint) {
			bullhornAuth(e, bh, 2)(ep)
			ep.URL = h.URL + "/entity/Note"
		})
		id := e.ingest(t, "org_bh_url", "m-bh-url")
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
		atts := attemptsOf(t, db, deliveryOf(t, db, id).ID)
		if len(atts) != 1 || atts[0].ErrorClass != "config" || len(h.got()) != 0 || bh.count("loginInfo") != 0 {
			t.Fatalf("attempts %+v, %d sent, %d loginInfo; want one config failure, nothing sent", atts, len(h.got()), bh.count("loginInfo"))
		}
	})
}

// TestBullhornProbe: a bullhorn endpoint's probe under {{bullhorn.rest_url}}
// logs in as a delivery does and sends the session's BhRestToken to the
// restUrl Bullhorn named, so a good answer enables the endpoint again; a
// session that ended is dropped at the probe's 401 (the endpoint stays
// disabled) and the next probe logs in again. No secret reaches a log.
func TestBullhornProbe(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		logs := &syncBuffer{}
		register := func(ws *river.Workers, p RetryPolicy, w *Worker) {
			river.AddWorker(ws, NewProbeWorker(db.Gorm, w, p, slog.New(slog.NewTextHandler(logs, nil))))
		}
		e := startEngine(t, db, engineOpts{logs: logs, register: register})
		bh := newBullhornStandIn(t)
		_, ep := createTenant(t, db, "org_bh_probe", bhURL, func(ep *tenants.Endpoint) {
			bullhornAuth(e, bh, 1)(ep)
			ep.ProbeURL = tenants.BullhornRestURL + "ping"
		})
		disable := func() {
			t.Helper()
			if err := disableEndpoint(db.Gorm, ep.ID, "failing since 5 days", time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}
		disable()
		e.runProbe(t)
		if h := healthOf(t, db, ep.ID); !h.Enabled {
			t.Fatalf("after a good probe: enabled %v, reason %q; want enabled", h.Enabled, h.DisabledReason)
		}
		bh.mu.Lock()
		calls := strings.Join(bh.calls, " ")
		bh.mu.Unlock()
		if calls != "loginInfo authorize token login ping" {
			t.Fatalf("Bullhorn saw %q, want the login chain, then the ping", calls)
		}

		bh.expire()
		disable()
		e.runProbe(t)
		if h := healthOf(t, db, ep.ID); h.Enabled {
			t.Fatal("enabled after a probe Bullhorn refused (the session had ended)")
		}
		e.runProbe(t)
		if h := healthOf(t, db, ep.ID); !h.Enabled {
			t.Fatalf("after the probe that logged in again: enabled %v, reason %q; want enabled", h.Enabled, h.DisabledReason)
		}
		if logins, pings := bh.count("login"), bh.count("ping"); logins != 2 || pings != 3 {
			t.Errorf("Bullhorn saw %d logins and %d pings, want 2 and 3 (the ended session dropped at its 401)", logins, pings)
		}
		assertNoBullhornSecret(t, db, logs.String())
	})
}
