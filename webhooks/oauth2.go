package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/tenants"
)

// tokenEarlyExpiry is how long before its expiry a cached access token is
// replaced: an attempt may take up to maxEndpointTimeout, and the token
// must still hold when the receiver checks it.
const tokenEarlyExpiry = time.Minute

// tokens caches the OAuth2 access tokens of oauth2 endpoints in memory, one
// per endpoint and auth configuration, shared by this process's workers: one
// token request serves many deliveries, a token is fetched again a minute
// before it expires, and a change of the endpoint's auth settings (secret
// rotation, token URL, client id, scopes…) starts from an empty entry.
// With a store, the replicas share each endpoint's token too.
type tokens struct {
	cache *credCache[int64, *oauth2.Token]
	store *tokenStore // nil: this process's tokens only
}

func newTokens(store *tokenStore) *tokens {
	return &tokens{cache: newCredCache[int64, *oauth2.Token](), store: store}
}

// authVersion fingerprints what a token depends on. The sealed secret
// changes whenever the secret is set again (a fresh nonce), so rotating it
// drops the cached token even if the value is the same.
func authVersion(ep *tenants.Endpoint) string {
	b, _ := json.Marshal([]any{ep.OAuth2TokenURL, ep.OAuth2ClientID, ep.AuthSecretSealed, ep.OAuth2Scopes, ep.OAuth2Params, ep.OAuth2ClientAuth})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// token returns ep's cached access token, or fetches one from its token
// endpoint through client (the SSRF-guarded client of deliveries) with the
// client secret secret() unseals. Failures are *tokenError.
func (c *tokens) token(ctx context.Context, ep *tenants.Endpoint, client *http.Client, secret func() (string, error)) (*oauth2.Token, error) {
	version := authVersion(ep)
	e, err := c.cache.acquire(ctx, ep.ID, version)
	if err != nil {
		return nil, &tokenError{tokenURL: ep.OAuth2TokenURL, err: err}
	}
	defer e.release()
	if e.value.Valid() { // counts tokenEarlyExpiry: set by the source that fetched it
		return e.value, nil
	}
	if c.store != nil {
		// Another replica's token, fetched with the same settings.
		if t := c.store.load(ctx, ep.ID, version); t != nil {
			e.value = t
			return t, nil
		}
	}
	plain, err := secret()
	if err != nil {
		return nil, err // a secret that won't unseal: a config error, not the token endpoint's
	}
	cfg := clientCredentials(ep, plain)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	t, err := oauth2.ReuseTokenSourceWithExpiry(nil, cfg.TokenSource(ctx), tokenEarlyExpiry).Token()
	if err != nil {
		return nil, newTokenError(ep.OAuth2TokenURL, plain, err)
	}
	e.value = t
	if c.store != nil {
		c.store.save(ctx, ep.ID, version, t, time.Now())
	}
	return t, nil
}

// drop forgets ep's cached token if it is still accessToken (the one a
// receiver refused), so the next attempt fetches a fresh one; a token
// another worker fetched meanwhile is kept.
func (c *tokens) drop(ctx context.Context, endpointID int64, accessToken string) {
	c.cache.drop(ctx, endpointID, func(t *oauth2.Token) bool { return t != nil && t.AccessToken == accessToken })
	if c.store != nil {
		c.store.forget(ctx, endpointID, accessToken)
	}
}

func clientCredentials(ep *tenants.Endpoint, secret string) *clientcredentials.Config {
	cfg := &clientcredentials.Config{ClientID: ep.OAuth2ClientID, ClientSecret: secret, TokenURL: ep.OAuth2TokenURL,
		Scopes: ep.OAuth2Scopes, AuthStyle: oauth2.AuthStyleInHeader}
	if ep.OAuth2ClientAuth == tenants.OAuth2ClientAuthBody {
		cfg.AuthStyle = oauth2.AuthStyleInParams
	}
	if len(ep.OAuth2Params) > 0 {
		cfg.EndpointParams = url.Values{}
		for k, v := range ep.OAuth2Params {
			cfg.EndpointParams.Set(k, v)
		}
	}
	return cfg
}

// tokenError is a failed token request. Its message names the token
// endpoint, its status and OAuth error code, never the client secret.
type tokenError struct {
	tokenURL string
	status   int    // the token endpoint's HTTP status; 0: no answer
	code     string // RFC 6749 §5.2 error code (invalid_client…), if given
	detail   string
	err      error // the cause: timeouts and SSRF refusals are classified from it
}

func (e *tokenError) Error() string {
	switch {
	case e.status != 0 && e.code != "":
		return fmt.Sprintf("token endpoint %s answered %d: %s%s", e.tokenURL, e.status, e.code, e.detail)
	case e.status != 0:
		return fmt.Sprintf("token endpoint %s answered %d%s", e.tokenURL, e.status, e.detail)
	}
	return fmt.Sprintf("token endpoint %s: %v", e.tokenURL, e.err)
}

func (e *tokenError) Unwrap() error { return e.err }

// class is the attempt's error class: "auth", or "ssrf-blocked" when the
// guard refused the token endpoint's address (not retried, as for an
// endpoint URL).
func (e *tokenError) class() string {
	if errors.Is(e.err, egress.ErrBlocked) {
		return "ssrf-blocked"
	}
	return "auth"
}

// maxTokenErrorDetail bounds the token endpoint's error_description kept in
// an attempt's error.
const maxTokenErrorDetail = 200

// newTokenError describes err from the token request. The library's own
// text of a refusal carries the answer's body, so it is rebuilt from the
// status and the RFC 6749 error fields; the secret is masked in case a
// token endpoint echoes it.
func newTokenError(tokenURL, secret string, err error) *tokenError {
	te := &tokenError{tokenURL: tokenURL, err: err}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		te.code = re.ErrorCode
		if re.Response != nil {
			te.status = re.Response.StatusCode
		}
		if d := strings.TrimSpace(re.ErrorDescription); d != "" {
			// Masked before the cut: a secret across it would keep its start.
			te.detail = " (" + truncateRunes(maskSecret(d, secret), maxTokenErrorDetail) + ")"
		}
		te.err = errors.New(re.ErrorCode) // never the body
	case strings.HasPrefix(err.Error(), "oauth2: cannot fetch token"):
		// The answer broke off: keep the cause (a timeout is a timeout).
	case strings.HasPrefix(err.Error(), "oauth2: "):
		// 2xx without a usable token (not JSON, no access_token…).
		te.status = http.StatusOK
		te.detail = " without a usable token: " + strings.TrimPrefix(err.Error(), "oauth2: ")
	}
	te.detail, te.code = maskSecret(te.detail, secret), maskSecret(te.code, secret)
	return te
}

// maskSecret replaces secret (when at least 4 bytes long) in s.
func maskSecret(s, secret string) string {
	if len(secret) < 4 {
		return s
	}
	return strings.ReplaceAll(s, secret, redacted)
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// tokenRefused handles a receiver's 401 to an OAuth2 access token: the token
// is dropped from the cache so the next try fetches a fresh one (it may
// have been revoked before its expiry), and that next try is scheduled even
// though a 401 is otherwise not retried, once per delivery round: a client
// the receiver refuses for good (wrong scopes) fails at the second 401
// instead of looping. If the earlier answers can't be counted, the 401 is
// not retried: failing once beats a loop.
func (w *Worker) tokenRefused(ctx context.Context, t *target, accessToken string, out Outcome) Outcome {
	w.tokens.drop(ctx, t.endpoint.ID, accessToken)
	if out.Kind != Permanent {
		return out // the endpoint retries 4xx anyway
	}
	var earlier int64
	err := w.db.WithContext(ctx).Model(&Attempt{}).
		Where("delivery_id = ? AND number > ? AND status_code = ?", t.delivery.ID, t.delivery.RoundStartAttempts, http.StatusUnauthorized).
		Count(&earlier).Error
	switch {
	case err != nil:
		out.Err = fmt.Errorf("endpoint answered 401 to the OAuth2 access token (not retried: counting this round's earlier 401 answers failed: %w)", err)
	case earlier > 0:
		out.Err = errors.New("endpoint answered 401 again after its OAuth2 token was replaced once this round: check the client's scopes and the receiver's configuration")
	default:
		out = Outcome{Kind: Retry, Err: errors.New("endpoint answered 401 to the OAuth2 access token; the next try fetches a fresh one")}
	}
	return out
}
