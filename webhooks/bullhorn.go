package webhooks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/tenants"
)

// bullhornTokenHeader carries a Bullhorn REST session's token.
const bullhornTokenHeader = "BhRestToken"

// bullhornSessionIdle is how long an unused Bullhorn session is trusted:
// Bullhorn ends a session after a period without calls (about ten
// minutes by default), and logging in again beats a 401 that costs the
// delivery a round of its schedule. An expired session still ends in a 401,
// which logs in again (bullhornRefused).
const bullhornSessionIdle = 8 * time.Minute

// Bounds of the login chain.
const (
	maxBullhornRedirects = 3        // 307/308 hops per request (another data centre)
	maxBullhornAnswer    = 64 << 10 // bytes of a login answer read
)

// bullhornSession is one Bullhorn REST session: its token and the restUrl
// (with the corporation token, ending in "/") every call goes under.
type bullhornSession struct {
	token   string
	restURL string
	// Guarded by its cache entry's lock:
	lastUsed   time.Time // by this process
	storedUsed time.Time // the used_at this process last read or wrote
}

// bullhornSessions caches REST sessions in memory, one per Bullhorn API
// login (client id and secret, user and password, loginInfo URL, redirect
// URI and client certificate), shared by this process's workers: endpoints
// that log in with the same credentials, in one tenant or several, share one
// session, so they count once against Bullhorn's cap on concurrent sessions
// per corporation, and one login serves many deliveries. Anyone who saved
// those credentials could open that session anyway. With a store, the
// replicas share sessions too: a process without one in memory takes the
// stored one before it logs in.
type bullhornSessions struct {
	cache *credCache[string, *bullhornSession]
	store *bullhornStore // nil: this process only
	// salt keys the login fingerprints, so memory and the store hold no
	// plain hash of a password.
	salt []byte

	mu sync.Mutex
	// logins maps an endpoint's sealed settings (bullhornVersion) to its
	// login fingerprint: the secrets are unsealed once per version, not
	// once per delivery.
	logins map[string]string
	// byToken maps a session's token to its login fingerprint, so a 401
	// to any endpoint drops the session every endpoint of that login uses.
	byToken map[string]string
}

// newBullhornSessions returns the session cache; store shares sessions
// between replicas (nil: this process only, keyed with a random salt).
func newBullhornSessions(store *bullhornStore) *bullhornSessions {
	c := &bullhornSessions{cache: newCredCache[string, *bullhornSession](), store: store,
		logins: map[string]string{}, byToken: map[string]string{}}
	if store != nil {
		c.salt = store.salt
	} else {
		c.salt = make([]byte, 32)
		_, _ = rand.Read(c.salt) // crypto/rand.Read never fails (Go 1.24+)
	}
	return c
}

// bullhornVersion fingerprints what an endpoint's session depends on, as
// stored. Sealed values change whenever a secret is set again (a fresh
// nonce), even to the same value.
func bullhornVersion(ep *tenants.Endpoint) string {
	b, _ := json.Marshal([]any{ep.ID, ep.OAuth2ClientID, ep.AuthSecretSealed, ep.BullhornUsername, ep.BullhornPasswordSealed,
		ep.LoginInfoURL(), ep.BullhornRedirectURI, ep.ClientCertPEM})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// loginKey is the fingerprint of the Bullhorn login ep's settings make,
// with the secrets unsealed: equal for endpoints that log in as the same API
// user with the same secrets from the same client, whatever their tenant.
// It returns the credentials too when it had to unseal them (nil when the
// fingerprint was known).
func (c *bullhornSessions) loginKey(ep *tenants.Endpoint, creds func() (bullhornCredentials, error)) (string, *bullhornCredentials, error) {
	version := bullhornVersion(ep)
	c.mu.Lock()
	key, ok := c.logins[version]
	c.mu.Unlock()
	if ok {
		return key, nil, nil
	}
	cr, err := creds()
	if err != nil {
		return "", nil, err
	}
	b, _ := json.Marshal([]string{ep.OAuth2ClientID, cr.clientSecret, ep.BullhornUsername, cr.password,
		ep.LoginInfoURL(), ep.BullhornRedirectURI, ep.ClientCertPEM})
	key = keyedFingerprint(c.salt, "login", b)
	c.mu.Lock()
	if len(c.logins) >= maxBullhornLogins {
		clear(c.logins) // settings changed that often: start over rather than grow
	}
	c.logins[version] = key
	c.mu.Unlock()
	return key, &cr, nil
}

// maxBullhornLogins bounds the settings-to-login map; past it the map is
// emptied and refilled, costing one unseal per endpoint.
const maxBullhornLogins = 4096

// bullhornCredentials are an endpoint's unsealed secrets.
type bullhornCredentials struct {
	clientSecret, password string
	obtained               []string // the code and access token, masked like the secrets
}

// session returns the cached session of ep's login, or logs in through
// client (the SSRF-guarded client of deliveries) with the credentials
// creds unseals. Failures of the login chain are *bullhornError.
func (c *bullhornSessions) session(ctx context.Context, ep *tenants.Endpoint, client *http.Client, now time.Time,
	creds func() (bullhornCredentials, error)) (*bullhornSession, error) {
	key, cr, err := c.loginKey(ep, creds)
	if err != nil {
		return nil, err // a secret that won't unseal: a config error, not Bullhorn's
	}
	e, err := c.cache.acquire(ctx, key, "")
	if err != nil {
		return nil, &bullhornError{step: "login", err: err}
	}
	defer e.release()
	if e.value != nil && now.Sub(e.value.lastUsed) < bullhornSessionIdle {
		e.value.lastUsed = now
		if c.store != nil {
			c.store.touch(ctx, key, e.value, now)
		}
		return e.value, nil
	}
	if c.store != nil {
		// Another replica's session, or this one's kept alive by another.
		if s := c.store.load(ctx, key, now); s != nil {
			s.lastUsed = now
			c.keep(key, e.value, s)
			e.value = s
			c.store.touch(ctx, key, s, now)
			return s, nil
		}
	}
	if cr == nil {
		unsealed, err := creds()
		if err != nil {
			return nil, err
		}
		cr = &unsealed
	}
	l := &bullhornLogin{client: client, ep: ep, creds: *cr}
	s, err := l.run(ctx)
	if err != nil {
		return nil, err
	}
	s.lastUsed = now
	c.keep(key, e.value, s)
	e.value = s
	if c.store != nil {
		c.store.save(ctx, key, s, now)
	}
	return s, nil
}

// keep records s as key's session in place of old (nil, or idle), so a
// 401 to s's token finds it.
func (c *bullhornSessions) keep(key string, old, s *bullhornSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old != nil {
		delete(c.byToken, old.token)
	}
	c.byToken[s.token] = key
}

// drop forgets the session whose token Bullhorn refused, so the next
// attempt of any endpoint sharing it logs in again; a session another
// worker opened meanwhile is kept.
func (c *bullhornSessions) drop(ctx context.Context, token string) {
	c.mu.Lock()
	key, ok := c.byToken[token]
	c.mu.Unlock()
	if !ok {
		return
	}
	c.cache.drop(ctx, key, func(s *bullhornSession) bool {
		if s == nil || s.token != token {
			return false
		}
		c.mu.Lock()
		delete(c.byToken, token)
		c.mu.Unlock()
		return true
	})
	if c.store != nil {
		c.store.forget(ctx, key, token)
	}
}

// bullhornLogin is one run of Bullhorn's login chain for a server
// integration: loginInfo (the user's data centre), OAuth authorize with
// action=Login (the code, read from the redirect, never followed), the
// token request, and REST /login (the session). Every request goes
// through the guarded client, so each host, the discovered ones included,
// is checked where it is dialled.
type bullhornLogin struct {
	client *http.Client
	ep     *tenants.Endpoint
	creds  bullhornCredentials
	secure bool // the loginInfo URL is https: so must every discovered URL be
}

func (l *bullhornLogin) run(ctx context.Context) (*bullhornSession, error) {
	info := l.ep.LoginInfoURL()
	l.secure = strings.HasPrefix(info, "https:")
	var found struct {
		OAuthURL string `json:"oauthUrl"`
		RestURL  string `json:"restUrl"`
	}
	if err := l.getJSON(ctx, "loginInfo", http.MethodGet, info, url.Values{"username": {l.ep.BullhornUsername}}, &found); err != nil {
		return nil, err
	}
	oauthURL, err := l.discovered("loginInfo", info, "oauthUrl", found.OAuthURL)
	if err != nil {
		return nil, err
	}
	restURL, err := l.discovered("loginInfo", info, "restUrl", found.RestURL)
	if err != nil {
		return nil, err
	}
	code, err := l.authorize(ctx, oauthURL+"/authorize")
	if err != nil {
		return nil, err
	}
	tok, err := l.token(ctx, oauthURL+"/token", code)
	if err != nil {
		return nil, err
	}
	return l.login(ctx, restURL+"/login", tok)
}

// discovered checks a URL a Bullhorn answer named: absolute http(s), no
// user info, and https when the chain started on https (no downgrade).
// The trailing "/" goes, so paths can be appended.
func (l *bullhornLogin) discovered(step, from, field, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case raw == "":
		return "", &bullhornError{step: step, url: from, status: http.StatusOK, detail: " without " + field}
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", &bullhornError{step: step, url: from, status: http.StatusOK, detail: " with an unusable " + field + " (not an http(s) URL without query)"}
	case l.secure && u.Scheme != "https":
		return "", &bullhornError{step: step, url: from, status: http.StatusOK, detail: " with an http " + field + " after an https loginInfo URL (not followed)"}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// authorize asks for a code with the API user's name and password. The
// answer is a redirect whose Location carries code= (or error=); it is
// read, never followed. A 307/308 (another data centre) is followed.
func (l *bullhornLogin) authorize(ctx context.Context, endpoint string) (string, error) {
	q := url.Values{"client_id": {l.ep.OAuth2ClientID}, "response_type": {"code"}, "action": {"Login"},
		"username": {l.ep.BullhornUsername}, "password": {l.creds.password}}
	if l.ep.BullhornRedirectURI != "" {
		q.Set("redirect_uri", l.ep.BullhornRedirectURI)
	}
	resp, where, err := l.do(ctx, "authorize", http.MethodGet, endpoint, q)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBullhornAnswer))
	loc, _ := resp.Location()
	if loc == nil || resp.StatusCode < 300 || resp.StatusCode > 399 {
		detail := " without a redirect carrying a code"
		if resp.StatusCode == http.StatusOK {
			detail += " (Bullhorn shows its login page again: check the API user name and password)"
		}
		return "", l.refused("authorize", where, resp.StatusCode, "", detail)
	}
	q = loc.Query()
	if code := q.Get("code"); code != "" {
		l.creds.obtained = append(l.creds.obtained, code)
		return code, nil
	}
	if e := q.Get("error"); e != "" {
		return "", l.refused("authorize", where, resp.StatusCode, e, l.describe(q.Get("error_description")))
	}
	return "", l.refused("authorize", where, resp.StatusCode, "", " with a redirect that carries neither code nor error")
}

// token trades the code for an access token.
func (l *bullhornLogin) token(ctx context.Context, endpoint, code string) (string, error) {
	q := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {l.ep.OAuth2ClientID},
		"client_secret": {l.creds.clientSecret}}
	if l.ep.BullhornRedirectURI != "" {
		q.Set("redirect_uri", l.ep.BullhornRedirectURI)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := l.getJSON(ctx, "token", http.MethodPost, endpoint, q, &tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" {
		return "", l.refused("token", endpoint, http.StatusOK, "", " without an access_token")
	}
	return tok.AccessToken, nil
}

// login opens the REST session with the access token.
func (l *bullhornLogin) login(ctx context.Context, endpoint, accessToken string) (*bullhornSession, error) {
	l.creds.obtained = append(l.creds.obtained, accessToken)
	var s struct {
		BhRestToken string `json:"BhRestToken"`
		RestURL     string `json:"restUrl"`
	}
	if err := l.getJSON(ctx, "login", http.MethodPost, endpoint, url.Values{"version": {"2.0"}, "access_token": {accessToken}}, &s); err != nil {
		return nil, err
	}
	if s.BhRestToken == "" {
		return nil, l.refused("login", endpoint, http.StatusOK, "", " without a BhRestToken")
	}
	rest, err := l.discovered("login", endpoint, "restUrl", s.RestURL)
	if err != nil {
		return nil, err
	}
	return &bullhornSession{token: s.BhRestToken, restURL: rest + "/"}, nil
}

// getJSON makes one request of the chain (following 307/308) and decodes
// its 2xx JSON answer into v; any other answer is a *bullhornError with
// the OAuth error code, if the answer has one.
func (l *bullhornLogin) getJSON(ctx context.Context, step, method, endpoint string, q url.Values, v any) error {
	resp, where, err := l.do(ctx, step, method, endpoint, q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBullhornAnswer))
	if err != nil {
		return &bullhornError{step: step, url: where, err: l.clean(err)}
	}
	var oauthErr struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"errorMessage"`
	}
	if resp.StatusCode/100 != 2 {
		_ = json.Unmarshal(b, &oauthErr)
		detail := l.describe(oauthErr.Description)
		if detail == "" {
			detail = l.describe(oauthErr.Message)
		}
		return l.refused(step, where, resp.StatusCode, oauthErr.Error, detail)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return l.refused(step, where, resp.StatusCode, "", " with an answer that is not JSON")
	}
	return nil
}

// do sends one request of the chain with the parameters q in its query
// (as Bullhorn documents them), following a 307 or 308 to another data
// centre up to maxBullhornRedirects times, never from https to http. It
// returns the answer and the URL (without query) that gave it.
func (l *bullhornLogin) do(ctx context.Context, step, method, endpoint string, q url.Values) (*http.Response, string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, endpoint, &bullhornError{step: step, url: withoutQuery(endpoint), err: errors.New("not a URL")}
	}
	u.RawQuery = q.Encode()
	for hop := 0; ; hop++ {
		where := withoutQuery(u.String())
		req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
		if err != nil {
			return nil, where, &bullhornError{step: step, url: where, err: errors.New("cannot build the request")}
		}
		req.Header.Set("Accept", "application/json")
		resp, err := l.client.Do(req)
		if err != nil {
			return nil, where, &bullhornError{step: step, url: where, err: l.clean(err)}
		}
		if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			return resp, where, nil
		}
		loc, lerr := resp.Location()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBullhornAnswer))
		resp.Body.Close()
		switch {
		case hop >= maxBullhornRedirects:
			return nil, where, l.refused(step, where, resp.StatusCode, "", fmt.Sprintf(" (more than %d redirects)", maxBullhornRedirects))
		case lerr != nil || (loc.Scheme != "https" && loc.Scheme != "http") || loc.Host == "" || loc.User != nil:
			return nil, where, l.refused(step, where, resp.StatusCode, "", " with a redirect to something that is not an http(s) URL")
		case u.Scheme == "https" && loc.Scheme != "https":
			return nil, where, l.refused(step, where, resp.StatusCode, "", " with a redirect from https to http (not followed)")
		}
		if loc.RawQuery == "" {
			loc.RawQuery = u.RawQuery // the same call at the right data centre
		}
		u = loc
	}
}

// refused builds the error of an answer that is not what the step needs.
func (l *bullhornLogin) refused(step, where string, status int, code, detail string) *bullhornError {
	return &bullhornError{step: step, url: where, status: status, code: l.creds.mask(code), detail: l.creds.mask(detail)}
}

// clean drops the request URL (with its query: password, code, tokens)
// from a transport error, keeping its cause for classification.
func (l *bullhornLogin) clean(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &cleanError{msg: l.creds.mask(ue.Err.Error()), cause: ue.Err}
	}
	return &cleanError{msg: l.creds.mask(err.Error()), cause: err}
}

// cleanError is a transport error whose text was masked; it unwraps to the
// original cause (timeouts, SSRF refusals are classified from it).
type cleanError struct {
	msg   string
	cause error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.cause }

// mask replaces every credential in s, and the code and access token
// the chain obtained so far.
func (c bullhornCredentials) mask(s string) string {
	for _, v := range append([]string{c.password, c.clientSecret}, c.obtained...) {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return s
}

// describe wraps an error description from Bullhorn for an attempt's
// error. Credentials are masked before it is cut short: cut first, a
// credential across the cut would keep its first characters.
func (l *bullhornLogin) describe(d string) string {
	if d = strings.TrimSpace(d); d == "" {
		return ""
	}
	return " (" + truncateRunes(l.creds.mask(d), maxTokenErrorDetail) + ")"
}

// withoutQuery is raw without query or fragment: what an error may name.
func withoutQuery(raw string) string {
	raw, _, _ = strings.Cut(raw, "#")
	raw, _, _ = strings.Cut(raw, "?")
	return raw
}

// bullhornError is a failed step of the Bullhorn login chain. Its message
// names the step, the URL (never its query) and Bullhorn's status and
// OAuth error code, never a credential.
type bullhornError struct {
	step   string // loginInfo, authorize, token, login
	url    string
	status int    // the answer's HTTP status; 0: no answer
	code   string // OAuth error code (invalid_client…), if given
	detail string
	err    error // the cause: timeouts and SSRF refusals are classified from it
}

func (e *bullhornError) Error() string {
	where := "Bullhorn " + e.step
	if e.url != "" {
		where += " " + e.url
	}
	switch {
	case e.status != 0 && e.code != "":
		return fmt.Sprintf("%s answered %d: %s%s", where, e.status, e.code, e.detail)
	case e.status != 0:
		return fmt.Sprintf("%s answered %d%s", where, e.status, e.detail)
	}
	return fmt.Sprintf("%s: %v", where, e.err)
}

func (e *bullhornError) Unwrap() error { return e.err }

// class is the attempt's error class: "auth", or "ssrf-blocked" when the
// guard refused a host of the chain (not retried, as for an endpoint URL).
func (e *bullhornError) class() string {
	if errors.Is(e.err, egress.ErrBlocked) {
		return "ssrf-blocked"
	}
	return "auth"
}

// bullhornTarget is the URL a bullhorn endpoint's delivery goes to: the
// session's restUrl in place of tenants.BullhornRestURL, with the session.
// A URL without the prefix is refused: the session token goes only under
// the restUrl Bullhorn named.
func (w *Worker) bullhornTarget(ctx context.Context, ep *tenants.Endpoint, rendered string) (*bullhornSession, string, error) {
	rest, ok := strings.CutPrefix(rendered, tenants.BullhornRestURL)
	if !ok {
		return nil, "", fmt.Errorf("a bullhorn endpoint's URL must start with %s (the session's restUrl)", tenants.BullhornRestURL)
	}
	client, err := w.clients.forEndpoint(ep)
	if err != nil {
		return nil, "", err
	}
	creds := func() (bullhornCredentials, error) {
		secret, err := w.keyring.Open(ep.AuthSecretSealed, tenants.EndpointSecretContext(ep.ID, "auth"))
		if err != nil {
			return bullhornCredentials{}, fmt.Errorf("open Bullhorn client secret: %w", err)
		}
		password, err := w.keyring.Open(ep.BullhornPasswordSealed, tenants.EndpointSecretContext(ep.ID, "bullhorn_password"))
		if err != nil {
			return bullhornCredentials{}, fmt.Errorf("open Bullhorn API password: %w", err)
		}
		return bullhornCredentials{clientSecret: string(secret), password: string(password)}, nil
	}
	s, err := w.bullhorn.session(ctx, ep, client, w.now(), creds)
	if err != nil {
		return nil, "", err
	}
	return s, s.restURL + rest, nil
}

// bullhornRefused handles Bullhorn's 401 (the session ended) or 307/308
// (the session's restUrl is at another data centre) to a delivery: the
// session is dropped so the next try logs in again through loginInfo, and
// that try is scheduled even though these answers are otherwise not
// retried, once per delivery round: a user Bullhorn refuses for good fails
// at the second such answer instead of looping.
func (w *Worker) bullhornRefused(ctx context.Context, t *target, token string, status int, out Outcome) Outcome {
	w.bullhorn.drop(ctx, token)
	if out.Kind != Permanent {
		return out
	}
	var earlier int64
	err := w.db.WithContext(ctx).Model(&Attempt{}).
		Where("delivery_id = ? AND number > ? AND status_code IN ?", t.delivery.ID, t.delivery.RoundStartAttempts,
			[]int{http.StatusUnauthorized, http.StatusTemporaryRedirect, http.StatusPermanentRedirect}).
		Count(&earlier).Error
	why := "the Bullhorn session ended"
	if status != http.StatusUnauthorized {
		why = "the session's restUrl is at another data centre"
	}
	switch {
	case err != nil:
		out.Err = fmt.Errorf("Bullhorn answered %d (not retried: counting this round's earlier answers failed: %w)", status, err)
	case earlier > 0:
		out.Err = fmt.Errorf("Bullhorn answered %d again after logging in again this round: check the API user's rights and the endpoint's URL", status)
	default:
		out = Outcome{Kind: Retry, Err: fmt.Errorf("Bullhorn answered %d (%s); the next try logs in again", status, why)}
	}
	return out
}
