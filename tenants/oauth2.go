package tenants

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-gw/switchboard/problem"
)

// Limits of the OAuth2 client credential settings.
const (
	maxOAuth2ClientIDLen = 512
	maxOAuth2Scopes      = 50
	maxOAuth2ScopeLen    = 256
	maxOAuth2Params      = 20
	maxOAuth2ParamLen    = 1024
)

// reservedOAuth2Params are the token request parameters the grant itself
// sends: an extra parameter must not replace them.
var reservedOAuth2Params = []string{"grant_type", "scope", "client_id", "client_secret"}

// validateOAuth2 checks the client credential settings of an oauth2
// endpoint (the token URL through the SSRF guard, like the endpoint's URL)
// and clears them for every other auth type, so a stale token URL is never
// shown or used.
func (e *Endpoint) validateOAuth2(ctx context.Context, urls URLChecker) error {
	if e.AuthType != AuthOAuth2 {
		if e.AuthType != AuthBullhorn { // bullhorn's client id: validateBullhorn
			e.OAuth2ClientID = ""
		}
		e.OAuth2TokenURL, e.OAuth2ClientAuth = "", OAuth2ClientAuthBasic
		e.OAuth2Scopes, e.OAuth2Params = []string{}, map[string]string{}
		return nil
	}
	if err := e.validateTokenURL(ctx, urls); err != nil {
		return err
	}
	e.OAuth2ClientID = strings.TrimSpace(e.OAuth2ClientID)
	switch {
	case e.OAuth2ClientID == "":
		return problem.Invalid("oauth2_client_id", "is required for auth type oauth2")
	case len(e.OAuth2ClientID) > maxOAuth2ClientIDLen || strings.ContainsAny(e.OAuth2ClientID, "\r\n\x00"):
		return problem.Invalid("oauth2_client_id", "must be one line of at most 512 bytes")
	}
	switch e.OAuth2ClientAuth = strings.ToLower(strings.TrimSpace(e.OAuth2ClientAuth)); e.OAuth2ClientAuth {
	case "":
		e.OAuth2ClientAuth = OAuth2ClientAuthBasic
	case OAuth2ClientAuthBasic, OAuth2ClientAuthBody:
	default:
		return problem.Invalid("oauth2_client_auth", "must be basic (HTTP Basic, the default) or body")
	}
	if err := e.validateScopes(); err != nil {
		return err
	}
	return e.validateTokenParams()
}

func (e *Endpoint) validateTokenURL(ctx context.Context, urls URLChecker) error {
	e.OAuth2TokenURL = strings.TrimSpace(e.OAuth2TokenURL)
	switch {
	case e.OAuth2TokenURL == "":
		return problem.Invalid("oauth2_token_url", "is required for auth type oauth2")
	case len(e.OAuth2TokenURL) > maxURLLen:
		return problem.Invalid("oauth2_token_url", "is longer than 2048 bytes")
	case strings.Contains(e.OAuth2TokenURL, "{{"):
		return problem.Invalid("oauth2_token_url", "must not hold placeholders")
	}
	if err := urlsFor(urls, "oauth2_token_url").CheckURL(ctx, e.OAuth2TokenURL); err != nil {
		return problem.Invalid("oauth2_token_url", strings.TrimPrefix(err.Error(), "url: "))
	}
	return nil
}

// validateScopes trims the scopes and checks each is one RFC 6749 §3.3
// scope token (printable ASCII without space, " or \).
func (e *Endpoint) validateScopes() error {
	scopes := []string{}
	for _, s := range e.OAuth2Scopes {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) > maxOAuth2Scopes {
		return problem.Invalid("oauth2_scopes", "has more than 50 scopes")
	}
	for _, s := range scopes {
		if len(s) > maxOAuth2ScopeLen || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '"' || r == '\\' }) {
			return problem.Invalid("oauth2_scopes", fmt.Sprintf("%q is not a scope (printable ASCII without spaces, quotes or backslashes, at most 256 bytes)", s))
		}
	}
	e.OAuth2Scopes = scopes
	return nil
}

// validateTokenParams checks the extra token request parameters. They are
// stored and shown in plain text, so names that look like credentials are
// refused as static headers are.
func (e *Endpoint) validateTokenParams() error {
	if len(e.OAuth2Params) > maxOAuth2Params {
		return problem.Invalid("oauth2_params", "has more than 20 parameters")
	}
	clean := make(map[string]string, len(e.OAuth2Params))
	for _, k := range slices.Sorted(maps.Keys(e.OAuth2Params)) {
		v := strings.TrimSpace(e.OAuth2Params[k])
		name := strings.TrimSpace(k)
		lower := strings.ToLower(name)
		switch {
		case name == "" || len(name) > 128 || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
			return problem.Invalid("oauth2_params", fmt.Sprintf("%q is not a parameter name (printable ASCII, at most 128 bytes)", k))
		case slices.Contains(reservedOAuth2Params, lower):
			return problem.Invalid("oauth2_params", fmt.Sprintf("%q is set by the grant itself", k))
		case slices.ContainsFunc(credentialWords, func(w string) bool { return strings.Contains(lower, w) }):
			return problem.Invalid("oauth2_params", fmt.Sprintf("%q looks like a credential: the client secret goes in auth_secret, which is stored encrypted", k))
		case len(v) > maxOAuth2ParamLen || strings.ContainsAny(v, "\r\n\x00"):
			return problem.Invalid("oauth2_params", fmt.Sprintf("%q: value must be one line of at most 1024 bytes", k))
		}
		if _, dup := clean[name]; dup {
			return problem.Invalid("oauth2_params", fmt.Sprintf("%q is given twice", name))
		}
		clean[name] = v
	}
	e.OAuth2Params = clean
	return nil
}

// secretMustBeResent reports why a stored auth secret may not be kept:
// an oauth2 client secret must never reach a token endpoint it was not
// entered for (someone who may edit endpoints but not see secrets could
// otherwise point the token URL at a server of theirs), nor become a
// bearer token or password when the auth type changes to or from oauth2.
//
// The same holds for bullhorn: its client secret and API password go to
// the OAuth host the loginInfo service names, so both are entered again
// when the auth type changes to or from bullhorn or the loginInfo URL changes.
func secretMustBeResent(before, after *Endpoint) string {
	switch {
	case (before.AuthType == AuthOAuth2) != (after.AuthType == AuthOAuth2):
		return "must be entered again when the auth type changes to or from oauth2"
	case after.AuthType == AuthOAuth2 && before.OAuth2TokenURL != after.OAuth2TokenURL:
		return "must be entered again when the token URL changes (a stored client secret is never sent to a new token endpoint)"
	case (before.AuthType == AuthBullhorn) != (after.AuthType == AuthBullhorn):
		return "must be entered again when the auth type changes to or from bullhorn"
	case after.AuthType == AuthBullhorn && before.LoginInfoURL() != after.LoginInfoURL():
		return "must be entered again when the loginInfo URL changes (stored Bullhorn credentials are never sent to a new data centre service)"
	}
	return ""
}
