package tenants

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"

	"github.com/switchboard-gw/switchboard/problem"
)

// URLChecker refuses endpoint URLs Switchboard must not call (the SSRF
// guard). *egress.Guard implements it; main wires it.
type URLChecker interface {
	CheckURL(ctx context.Context, raw string) error
}

// Limits of endpoint settings (zero always means "the server default").
const (
	maxURLLen          = 2048
	maxHeaders         = 50
	maxTimeoutMS       = 60_000 // the delivery worker's cap (webhooks.maxEndpointTimeout)
	minTimeoutMS       = 100
	maxAttemptsLimit   = 100
	maxAgeLimitSeconds = 30 * 24 * 3600
	maxConcurrency     = 1000
	maxRatePerSecond   = 10_000
)

// MinRatePerSecond is the slowest rate limit an endpoint may set: one
// attempt per hour (0 still means unlimited). A webhook held back longer is
// stale for its receiver, and a tiny rate (1e-300) makes the limiter's wait
// overflow time.Duration. The delivery limiter runs any slower value stored
// before this check at this rate.
const MinRatePerSecond = 1.0 / 3600

// Validate checks the endpoint's fields and asks urls whether its URL may be
// called. Errors are problem.Invalid naming the field.
func (e *Endpoint) Validate(ctx context.Context, urls URLChecker) error {
	e.URL = strings.TrimSpace(e.URL)
	if err := e.validateURL(ctx, urls); err != nil {
		return err
	}
	if err := e.validateProbe(ctx, urls); err != nil {
		return err
	}
	e.fillDefaults()
	for _, s := range e.Subscriptions {
		if strings.TrimSpace(s) == "" {
			return problem.Invalid("subscriptions", "contains an empty event type")
		}
	}
	for _, check := range []func() error{e.validateMethod, e.validateAuth, e.validateHeaders, e.validateLimits, e.validateCert} {
		if err := check(); err != nil {
			return err
		}
	}
	if err := e.validateOAuth2(ctx, urls); err != nil {
		return err
	}
	return e.validateBullhorn(ctx, urls)
}

// validateURL checks the endpoint's URL: through the URL checker (its
// template, then the SSRF guard), or for auth type bullhorn as a path
// under the session's restUrl, whose host is known only at login and is
// guarded where it is dialled.
func (e *Endpoint) validateURL(ctx context.Context, urls URLChecker) error {
	if e.URL == "" {
		return problem.Invalid("url", "is required")
	}
	if len(e.URL) > maxURLLen {
		return problem.Invalid("url", "is longer than 2048 bytes")
	}
	if e.AuthType == AuthBullhorn {
		if err := validateBullhornURL("url", e.URL); err != nil {
			return err
		}
	} else if strings.Contains(e.URL, BullhornRestURL) {
		return problem.Invalid("url", BullhornRestURL+" is filled only for auth type bullhorn")
	}
	if err := urlsFor(urls, "url").CheckURL(ctx, e.URL); err != nil {
		return problem.Invalid("url", strings.TrimPrefix(err.Error(), "url: "))
	}
	return nil
}

// unlistedSubscriptions returns the event types e subscribes to that are
// neither "*", in known, nor in kept (the endpoint's subscriptions before
// this change: a name it had stays valid after retention deleted the
// events that made it acceptable).
func (e *Endpoint) unlistedSubscriptions(known, kept []string) []string {
	var out []string
	for _, s := range e.Subscriptions {
		if s != SubscribeAll && !slices.Contains(known, s) && !slices.Contains(kept, s) {
			out = append(out, s)
		}
	}
	return out
}

// unknownSubscription is the refusal of a name Switchboard neither knows nor has received.
func unknownSubscription(name string, known []string) error {
	return problem.Invalid("subscriptions", fmt.Sprintf("unknown event type %q: not a known type and never received (want one of %s, *, or a type Switchboard has received)",
		name, strings.Join(known, ", ")))
}

// DefaultMethod is the HTTP method of endpoints that don't name one.
const DefaultMethod = "POST"

// Methods are the HTTP methods a delivery may use.
var Methods = []string{"POST", "PUT", "PATCH"}

func (e *Endpoint) validateMethod() error {
	e.Method = strings.ToUpper(strings.TrimSpace(e.Method))
	if e.Method == "" {
		e.Method = DefaultMethod
	}
	if !slices.Contains(Methods, e.Method) {
		return problem.Invalid("method", "must be POST, PUT or PATCH")
	}
	return nil
}

// validateProbe checks the optional health-probe URL like the endpoint's
// own (SSRF guard), without placeholders: a probe has no event to fill them.
// A bullhorn endpoint's probe may start with BullhornRestURL (e.g.
// {{bullhorn.rest_url}}ping): it then goes, with the session token, to the
// restUrl Bullhorn names, guarded at dial like a delivery.
func (e *Endpoint) validateProbe(ctx context.Context, urls URLChecker) error {
	e.ProbeURL = strings.TrimSpace(e.ProbeURL)
	switch {
	case e.ProbeURL == "":
		return nil
	case len(e.ProbeURL) > maxURLLen:
		return problem.Invalid("probe_url", "is longer than 2048 bytes")
	case IsBullhornURL(e.ProbeURL) && e.AuthType != AuthBullhorn:
		return problem.Invalid("probe_url", BullhornRestURL+" starts a probe URL only for auth type bullhorn")
	case IsBullhornURL(e.ProbeURL):
		if strings.Contains(strings.TrimPrefix(e.ProbeURL, BullhornRestURL), "{{") {
			return problem.Invalid("probe_url", "must not hold placeholders after "+BullhornRestURL)
		}
		return validateBullhornURL("probe_url", e.ProbeURL)
	case strings.Contains(e.ProbeURL, "{{"):
		return problem.Invalid("probe_url", "must not hold placeholders")
	}
	if err := urlsFor(urls, "probe_url").CheckURL(ctx, e.ProbeURL); err != nil {
		return problem.Invalid("probe_url", strings.TrimPrefix(err.Error(), "url: "))
	}
	return nil
}

func (e *Endpoint) validateAuth() error {
	switch e.AuthType {
	case AuthNone, AuthBearer, AuthBasic, AuthOAuth2, AuthBullhorn:
		e.AuthHeaderName = ""
	case AuthHeader:
		name := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(e.AuthHeaderName))
		if err := checkAuthHeaderName(name); err != nil {
			return problem.Invalid("auth_header_name", err.Error())
		}
		e.AuthHeaderName = name
	default:
		return problem.Invalid("auth_type", "must be none, bearer, basic, header, oauth2 or bullhorn")
	}
	return nil
}

func (e *Endpoint) validateHeaders() error {
	if len(e.Headers) > maxHeaders {
		return problem.Invalid("headers", "has more than 50 headers")
	}
	clean := make(map[string]string, len(e.Headers))
	given := make(map[string]string, len(e.Headers)) // canonical name → the name as sent
	// Sorted, so the error names the same pair every time.
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		v := e.Headers[k]
		name := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k))
		if err := checkHeaderName(name); err != nil {
			return problem.Invalid("headers", fmt.Sprintf("%q: %v", k, err))
		}
		// Header names ignore case: keeping one of two values would pick it
		// by map order, so the sender must choose.
		if prev, dup := given[name]; dup {
			return problem.Invalid("headers", fmt.Sprintf("%q and %q are the same header %s (names ignore case): keep one", prev, k, name))
		}
		given[name] = k
		if strings.ContainsAny(v, "\r\n\x00") || len(v) > 4096 {
			return problem.Invalid("headers", fmt.Sprintf("%q: value must be one line of at most 4096 bytes", k))
		}
		clean[name] = v
	}
	e.Headers = clean
	return nil
}

// reservedHeaders are hop-by-hop headers, headers Switchboard sets itself,
// and credentials (which belong in the sealed auth setting, not in plain headers).
var reservedHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	"Host", "Content-Length", "Content-Type", "User-Agent", "Expect",
	"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
}

// checkAuthHeaderName checks the header that carries a custom credential:
// any valid name except hop-by-hop ones and those Switchboard sets.
func checkAuthHeaderName(name string) error {
	if err := checkTokenName(name); err != nil {
		return err
	}
	lower := strings.ToLower(name)
	if name != "Authorization" && slices.Contains(reservedHeaders, name) || strings.HasPrefix(lower, "webhook-") ||
		strings.HasPrefix(lower, "x-switchboard-") || strings.HasPrefix(lower, "proxy-") {
		return fmt.Errorf("is reserved (hop-by-hop or set by Switchboard)")
	}
	return nil
}

func checkTokenName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("a header name is required (at most 128 bytes)")
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return fmt.Errorf("is not a valid header name")
		}
	}
	return nil
}

// checkHeaderName checks a static (unencrypted) header name.
func checkHeaderName(name string) error {
	if err := checkTokenName(name); err != nil {
		return err
	}
	lower := strings.ToLower(name)
	switch {
	case slices.Contains(reservedHeaders, name), strings.HasPrefix(lower, "proxy-"):
		return fmt.Errorf("is reserved (hop-by-hop, set by Switchboard, or a credential)")
	case strings.HasPrefix(lower, "webhook-"), strings.HasPrefix(lower, "x-switchboard-"):
		return fmt.Errorf("is reserved for Switchboard's own headers")
	case slices.ContainsFunc(credentialWords, func(w string) bool { return strings.Contains(lower, w) }):
		return fmt.Errorf("looks like a credential: use the endpoint's auth setting, which is stored encrypted")
	}
	return nil
}

// credentialWords mark a static header name as a credential. Static headers
// are stored in plain text and shown to every role (endpoint page, recorded
// attempts), so the list covers at least the words the audit trail redacts
// (auth.Audit: secret, token, password, key, authorization, cookie, credential).
var credentialWords = []string{"auth", "token", "secret", "password", "passwd", "key", "cookie", "credential", "session"}

func (e *Endpoint) validateLimits() error {
	switch {
	case e.TimeoutMS != 0 && (e.TimeoutMS < minTimeoutMS || e.TimeoutMS > maxTimeoutMS):
		return problem.Invalid("timeout_ms", "must be 0 (server default) or between 100 and 60000 (60 s)")
	case e.MaxAttempts < 0 || e.MaxAttempts > maxAttemptsLimit:
		return problem.Invalid("max_attempts", "must be between 0 (server default) and 100")
	case e.MaxAgeSeconds < 0 || e.MaxAgeSeconds > maxAgeLimitSeconds:
		return problem.Invalid("max_age_seconds", "must be between 0 (server default) and 2592000 (30 days)")
	case e.MaxConcurrency < 0 || e.MaxConcurrency > maxConcurrency:
		return problem.Invalid("max_concurrency", "must be between 0 (server default) and 1000")
	case !(e.RateLimitPerSecond == 0 || e.RateLimitPerSecond >= MinRatePerSecond && e.RateLimitPerSecond <= maxRatePerSecond):
		return problem.Invalid("rate_limit_per_second", "must be 0 (unlimited) or between 0.000278 (one per hour) and 10000")
	}
	return nil
}

func (e *Endpoint) validateCert() error {
	e.ClientCertPEM = strings.TrimSpace(e.ClientCertPEM)
	if e.ClientCertPEM == "" {
		return nil
	}
	rest := []byte(e.ClientCertPEM)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return problem.Invalid("client_cert_pem", "must contain only CERTIFICATE blocks (the key goes in client_key_pem)")
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return problem.Invalid("client_cert_pem", "is not a valid X.509 certificate")
		}
		n++
	}
	if n == 0 || strings.TrimSpace(string(rest)) != "" {
		return problem.Invalid("client_cert_pem", "is not PEM-encoded certificates")
	}
	return nil
}

// checkClientKey verifies that keyPEM is the private key of certPEM.
func checkClientKey(certPEM, keyPEM string) error {
	if certPEM == "" {
		return problem.Invalid("client_key_pem", "needs client_cert_pem")
	}
	if _, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM)); err != nil {
		return problem.Invalid("client_key_pem", "is not the PEM private key of client_cert_pem")
	}
	return nil
}

// fillDefaults replaces nil lists and maps and empty enums, which the
// NOT NULL columns would refuse.
func (e *Endpoint) fillDefaults() {
	if e.Subscriptions == nil {
		e.Subscriptions = []string{}
	}
	if e.Headers == nil {
		e.Headers = map[string]string{}
	}
	if e.AuthType == "" {
		e.AuthType = AuthNone
	}
	if e.OAuth2Scopes == nil {
		e.OAuth2Scopes = []string{}
	}
	if e.OAuth2Params == nil {
		e.OAuth2Params = map[string]string{}
	}
	if e.OAuth2ClientAuth == "" {
		e.OAuth2ClientAuth = OAuth2ClientAuthBasic
	}
}
