package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/tenants"
)

// redacted replaces secret header values in attempt records.
const redacted = "[redacted]"

// keptResponseHeaders are the answer headers an attempt record keeps.
var keptResponseHeaders = []string{"Content-Type", "Content-Length", "Retry-After", "Location", "Date", "Server", "X-Request-Id"}

// sendResult is what came back from one HTTP try.
type sendResult struct {
	started    time.Time
	msg        message // set once a request is built
	duration   time.Duration
	status     int
	body       string
	reqHeaders map[string]string
	respHeader http.Header
	class      string
	err        error
	// accessToken is the OAuth2 access token (oauth2 endpoints) or Bullhorn
	// session token (bullhorn) sent, so a 401 can drop it from its cache.
	// Never recorded.
	accessToken string
}

// clients hands out the HTTP client of an endpoint: the shared, guarded one,
// or for mutual TLS one with the endpoint's certificate, cached per
// endpoint and configuration version (updated_at).
type clients struct {
	guard   *egress.Guard
	keyring *secrets.Keyring
	shared  *http.Client
	roots   *x509.CertPool // nil: the system's
	mu      sync.Mutex
	mtls    map[string]*http.Client
}

func newClients(guard *egress.Guard, keyring *secrets.Keyring, roots *x509.CertPool) *clients {
	shared := guard.Client(0)
	if roots != nil {
		shared.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &clients{guard: guard, keyring: keyring, shared: shared, roots: roots, mtls: map[string]*http.Client{}}
}

func (c *clients) forEndpoint(ep *tenants.Endpoint) (*http.Client, error) {
	if ep.ClientCertPEM == "" {
		return c.shared, nil
	}
	key := fmt.Sprintf("%d@%d", ep.ID, ep.UpdatedAt.UnixNano())
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl := c.mtls[key]; cl != nil {
		return cl, nil
	}
	keyPEM, err := c.keyring.Open(ep.ClientKeySealed, fmt.Sprintf("endpoint:%d:client_key", ep.ID))
	if err != nil {
		return nil, fmt.Errorf("open client key: %w", err)
	}
	cert, err := tls.X509KeyPair([]byte(ep.ClientCertPEM), keyPEM)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	tr := c.shared.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: c.roots, MinVersion: tls.VersionTLS12}
	for k := range c.mtls { // drop older versions of this endpoint's client
		if strings.HasPrefix(k, strconv.FormatInt(ep.ID, 10)+"@") {
			delete(c.mtls, k)
		}
	}
	cl := &http.Client{Transport: tr, CheckRedirect: c.shared.CheckRedirect}
	c.mtls[key] = cl
	return cl, nil
}

// buildRequest makes the outgoing request: body, Switchboard's headers,
// Standard Webhooks signing under msgID, the endpoint's auth and static
// headers. It returns the headers to record, secrets redacted.
func (w *Worker) buildRequest(ctx context.Context, t *target, payload routing.Rendered, msgID string, now time.Time) (*http.Request, map[string]string, error) {
	method := t.endpoint.Method
	if method == "" {
		method = http.MethodPost // rows written before the method column, or by tests that skip validation
	}
	ep := &t.endpoint
	target := payload.URL
	var session *bullhornSession
	if ep.AuthType == tenants.AuthBullhorn {
		var err error
		if session, target, err = w.bullhornTarget(ctx, ep, payload.URL); err != nil {
			return nil, nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload.Body))
	if err != nil {
		return nil, nil, err
	}
	h := req.Header
	for k, v := range ep.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", w.userAgent)
	h.Set("X-Switchboard-Event", t.event.EventType)
	h.Set("X-Switchboard-Tenant", strconv.FormatInt(t.delivery.TenantID, 10))
	h.Set("X-Switchboard-Revision", strconv.Itoa(t.event.Revision))
	h.Set("X-Boooply-Meeting-Id", t.event.MeetingCode)
	if link := w.recordingLink(t); link != "" {
		// The stable link reaches passthrough endpoints too; a mapping reads
		// it as meta.recording_link. videoUrl expires, videoApiUrl needs a key.
		h.Set("X-Switchboard-Recording-Link", link)
	}
	ts := now.Unix()
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	keys, err := w.signingKeys(ep, now)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) > 0 {
		h.Set("webhook-signature", SignatureHeader(keys, msgID, ts, payload.Body))
	}
	secretHeader := bullhornTokenHeader
	if session != nil {
		h.Set(bullhornTokenHeader, session.token)
	} else if secretHeader, err = w.setAuth(ctx, req, ep); err != nil {
		return nil, nil, err
	}
	if err := sendableHeaders(h); err != nil {
		return nil, nil, err
	}
	rec := make(map[string]string, len(h))
	for k := range h {
		rec[k] = h.Get(k)
	}
	if secretHeader != "" {
		rec[http.CanonicalHeaderKey(secretHeader)] = redacted
	}
	return req, rec, nil
}

// sendableHeaders refuses a request whose header values no HTTP request can
// carry: the event's meetingCode or type copied into X-Boooply-Meeting-Id or
// X-Switchboard-Event may hold a control character (ingest stores any
// text). The client would refuse it on every try; as a build error it is
// one "config" failure, not retries counted against the endpoint. The
// message names the header, never its value (it may be a secret).
func sendableHeaders(h http.Header) error {
	for k, vs := range h {
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("header %s would hold a control character (e.g. from the event's meetingCode); no HTTP request can carry it", k)
			}
		}
	}
	return nil
}

// signingKeys unseals the endpoint's current signing secret and, while a
// rotation is in progress, the previous one.
func (w *Worker) signingKeys(ep *tenants.Endpoint, now time.Time) ([][]byte, error) {
	var keys [][]byte
	add := func(sealed, field string) error {
		plain, err := w.keyring.Open(sealed, fmt.Sprintf("endpoint:%d:%s", ep.ID, field))
		if err != nil {
			return fmt.Errorf("open %s secret: %w", field, err)
		}
		k, err := DecodeSigningSecret(string(plain))
		if err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	}
	if ep.SigningSecretSealed != "" {
		if err := add(ep.SigningSecretSealed, "signing"); err != nil {
			return nil, err
		}
	}
	if ep.PreviousSigningSecretSealed != "" && (ep.PreviousSigningExpiresAt == nil || now.Before(*ep.PreviousSigningExpiresAt)) {
		if err := add(ep.PreviousSigningSecretSealed, "signing_prev"); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// setAuth adds the endpoint's own authentication and returns the name of
// the header that carries the secret. For oauth2 that is an access token
// from the endpoint's token endpoint (cached, see tokens); a failed token
// request is a *tokenError. Bullhorn endpoints never get here: their
// session (URL and BhRestToken) is set by buildRequest.
func (w *Worker) setAuth(ctx context.Context, req *http.Request, ep *tenants.Endpoint) (string, error) {
	if ep.AuthType == "" || ep.AuthType == tenants.AuthNone {
		return "", nil
	}
	if ep.AuthType == tenants.AuthOAuth2 {
		return w.setOAuth2(ctx, req, ep)
	}
	secret, err := w.keyring.Open(ep.AuthSecretSealed, fmt.Sprintf("endpoint:%d:auth", ep.ID))
	if err != nil {
		return "", fmt.Errorf("open auth secret: %w", err)
	}
	switch ep.AuthType {
	case tenants.AuthBearer:
		req.Header.Set("Authorization", "Bearer "+string(secret))
		return "Authorization", nil
	case tenants.AuthBasic:
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(secret))
		return "Authorization", nil
	case tenants.AuthHeader:
		if ep.AuthHeaderName == "" {
			return "", fmt.Errorf("auth type header without a header name")
		}
		req.Header.Set(ep.AuthHeaderName, string(secret))
		return ep.AuthHeaderName, nil
	}
	return "", fmt.Errorf("unknown auth type %q", ep.AuthType)
}

// setOAuth2 sets "Authorization: Bearer <access token>", the token fetched
// (or reused) through the endpoint's own guarded client.
func (w *Worker) setOAuth2(ctx context.Context, req *http.Request, ep *tenants.Endpoint) (string, error) {
	client, err := w.clients.forEndpoint(ep)
	if err != nil {
		return "", err
	}
	secret := func() (string, error) {
		plain, err := w.keyring.Open(ep.AuthSecretSealed, fmt.Sprintf("endpoint:%d:auth", ep.ID))
		if err != nil {
			return "", fmt.Errorf("open OAuth2 client secret: %w", err)
		}
		return string(plain), nil
	}
	tok, err := w.tokens.token(ctx, ep, client, secret)
	if err != nil {
		return "", err
	}
	tok.SetAuthHeader(req)
	return "Authorization", nil
}

// send makes one HTTP try within the endpoint's timeout.
func (w *Worker) send(ctx context.Context, t *target, payload routing.Rendered) sendResult {
	timeout := w.timeout
	if ms := t.endpoint.TimeoutMS; ms > 0 {
		timeout = min(time.Duration(ms)*time.Millisecond, maxEndpointTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := sendResult{started: w.now().UTC()}
	msg := messageOf(&t.delivery, payload.Body)
	req, hdrs, err := w.buildRequest(ctx, t, payload, msg.id, res.started)
	var authErr authFailure
	if errors.As(err, &authErr) {
		res.duration = time.Since(res.started)
		res.class, res.err = authErr.class(), err
		return res
	} else if err != nil {
		res.class, res.err = "config", err
		return res
	}
	switch t.endpoint.AuthType {
	case tenants.AuthOAuth2:
		_, res.accessToken, _ = strings.Cut(req.Header.Get("Authorization"), " ")
	case tenants.AuthBullhorn:
		res.accessToken = req.Header.Get(bullhornTokenHeader)
	}
	res.msg = msg
	res.reqHeaders = hdrs
	client, err := w.clients.forEndpoint(&t.endpoint)
	if err != nil {
		res.class, res.err = "config", err
		return res
	}
	resp, err := client.Do(req)
	if err != nil {
		res.duration = time.Since(res.started)
		res.class, res.err = errorClass(err), err
		if res.class == "headers-too-large" {
			res.err = fmt.Errorf("endpoint answered with more than %d KiB of headers; its answer was not read: %w", egress.MaxResponseHeaderBytes>>10, err)
		}
		return res
	}
	defer resp.Body.Close()
	readAnswer(&res, resp)
	if t.endpoint.AuthType == tenants.AuthBullhorn {
		res.maskSecret(res.accessToken)
	}
	return res
}

// authFailure is a failed token request or login (*tokenError,
// *bullhornError): the receiver was not called; class is the attempt's
// error class.
type authFailure interface {
	error
	class() string
}

// maskSecret replaces secret wherever the answer might echo it back into
// the attempt record (body, kept headers such as Location, the error).
func (res *sendResult) maskSecret(secret string) {
	if len(secret) < 4 {
		return
	}
	res.body = strings.ReplaceAll(res.body, secret, redacted)
	for k, vs := range res.respHeader {
		for i, v := range vs {
			res.respHeader[k][i] = strings.ReplaceAll(v, secret, redacted)
		}
	}
	if res.err != nil && strings.Contains(res.err.Error(), secret) {
		res.err = errors.New(strings.ReplaceAll(res.err.Error(), secret, redacted))
	}
}

// readAnswer records the first maxResponseBody bytes of the answer, its
// status and headers, and what went wrong: a non-2xx status, or an answer
// that broke off while it was read.
func readAnswer(res *sendResult, resp *http.Response) {
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	res.duration = time.Since(res.started)
	res.status, res.body, res.respHeader = resp.StatusCode, recordableText(string(b)), resp.Header
	switch {
	case rerr != nil && resp.StatusCode/100 != 2:
		res.class, res.err = errorClass(rerr), rerr
	case resp.StatusCode/100 != 2:
		res.class, res.err = "http-status", fmt.Errorf("endpoint answered %d", resp.StatusCode)
	case rerr != nil:
		// Delivered (the endpoint said so), but the record must not pass a
		// cut-off answer (timeout while it dribbled, connection closed) as whole.
		res.class, res.err = errorClass(rerr), fmt.Errorf("endpoint answered %d, then its answer broke off: %w", resp.StatusCode, rerr)
	}
}

// recordableText is s as a text column holds it on both databases: each
// run of bytes that is not UTF-8 (a binary answer, a multi-byte character
// cut at maxResponseBody) and each NUL becomes U+FFFD. PostgreSQL refuses
// either in text, and an attempt that can't be recorded is sent again.
func recordableText(s string) string { return textColumn(s, "\uFFFD") }

// textColumn replaces each run of bytes that is not UTF-8, and each NUL,
// with with: PostgreSQL's text columns refuse both.
func textColumn(s, with string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, with), "\x00", with)
}

func keptHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range keptResponseHeaders {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}
