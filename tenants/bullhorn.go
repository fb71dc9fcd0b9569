package tenants

import (
	"context"
	"net/url"
	"strings"

	"github.com/switchboard-gw/switchboard/problem"
)

// BullhornRestURL starts the URL of every bullhorn endpoint and stands for
// the restUrl of its REST session (https://rest99.bullhornstaffing.com/rest-services/<corp token>/),
// known only once the delivery worker has logged in; the rest of the URL
// is relative to it, e.g. {{bullhorn.rest_url}}entity/Note. The session's
// BhRestToken goes only to that host, whatever the rest says.
const BullhornRestURL = "{{bullhorn.rest_url}}"

// DefaultBullhornLoginInfoURL is Bullhorn's public loginInfo service, which
// names the data centre (OAuth and REST hosts) of an API user.
const DefaultBullhornLoginInfoURL = "https://rest.bullhornstaffing.com/rest-services/loginInfo"

// maxBullhornUsernameLen bounds the API user's name.
const maxBullhornUsernameLen = 256

// IsBullhornURL reports whether raw is a URL relative to a Bullhorn session.
func IsBullhornURL(raw string) bool { return strings.HasPrefix(raw, BullhornRestURL) }

// validateBullhornURL checks the part of a bullhorn endpoint's URL (or, as
// field probe_url, its probe URL) after BullhornRestURL: a relative path (and query) that stays under the
// session's restUrl. Placeholders in it are checked by the URL template
// checker, as elsewhere.
func validateBullhornURL(field, raw string) error {
	rest, ok := strings.CutPrefix(raw, BullhornRestURL)
	switch {
	case !ok:
		return problem.Invalid(field, "must start with "+BullhornRestURL+" for auth type bullhorn (the restUrl of the Bullhorn session), e.g. "+BullhornRestURL+"entity/Note")
	case rest == "" || strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, "?"):
		return problem.Invalid(field, "needs a path after "+BullhornRestURL+" without a leading /, e.g. "+BullhornRestURL+"entity/Note")
	case strings.Contains(rest, BullhornRestURL):
		return problem.Invalid(field, BullhornRestURL+" may only start the URL")
	case strings.ContainsFunc(rest, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }):
		return problem.Invalid(field, "the path after "+BullhornRestURL+" must not hold spaces, backslashes or control characters")
	}
	// Appended to the restUrl, which ends in "/": nothing here can change
	// the host, but . and .. would step out of the corporation's path.
	path, _, _ := strings.Cut(rest, "?")
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return problem.Invalid(field, "the path after "+BullhornRestURL+" must not hold . or .. segments (it stays under the session's restUrl)")
		}
	}
	return nil
}

// validateBullhorn checks the Bullhorn settings of a bullhorn endpoint (the
// loginInfo URL through the SSRF guard, like the endpoint's URL) and
// clears them for every other auth type.
func (e *Endpoint) validateBullhorn(ctx context.Context, urls URLChecker) error {
	if e.AuthType != AuthBullhorn {
		e.BullhornUsername, e.BullhornLoginInfoURL, e.BullhornRedirectURI = "", "", ""
		return nil
	}
	e.OAuth2ClientID = strings.TrimSpace(e.OAuth2ClientID)
	switch {
	case e.OAuth2ClientID == "":
		return problem.Invalid("oauth2_client_id", "is required for auth type bullhorn (the client id Bullhorn issued)")
	case len(e.OAuth2ClientID) > maxOAuth2ClientIDLen || strings.ContainsAny(e.OAuth2ClientID, "\r\n\x00"):
		return problem.Invalid("oauth2_client_id", "must be one line of at most 512 bytes")
	}
	e.BullhornUsername = strings.TrimSpace(e.BullhornUsername)
	switch {
	case e.BullhornUsername == "":
		return problem.Invalid("bullhorn_username", "is required for auth type bullhorn (the API user's name)")
	case len(e.BullhornUsername) > maxBullhornUsernameLen || strings.ContainsFunc(e.BullhornUsername, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return problem.Invalid("bullhorn_username", "must be one line of at most 256 bytes")
	}
	e.BullhornLoginInfoURL = strings.TrimSpace(e.BullhornLoginInfoURL)
	switch {
	case e.BullhornLoginInfoURL == "":
	case len(e.BullhornLoginInfoURL) > maxURLLen:
		return problem.Invalid("bullhorn_login_info_url", "is longer than 2048 bytes")
	case strings.Contains(e.BullhornLoginInfoURL, "{{"):
		return problem.Invalid("bullhorn_login_info_url", "must not hold placeholders")
	default:
		if err := urlsFor(urls, "bullhorn_login_info_url").CheckURL(ctx, e.BullhornLoginInfoURL); err != nil {
			return problem.Invalid("bullhorn_login_info_url", strings.TrimPrefix(err.Error(), "url: "))
		}
	}
	e.BullhornRedirectURI = strings.TrimSpace(e.BullhornRedirectURI)
	if e.BullhornRedirectURI != "" {
		// Sent as a parameter only: Bullhorn redirects there and Switchboard
		// reads the code from the redirect without following it.
		u, err := url.Parse(e.BullhornRedirectURI)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(e.BullhornRedirectURI) > maxURLLen {
			return problem.Invalid("bullhorn_redirect_uri", "must be the http(s) URL registered with the Bullhorn client, at most 2048 bytes")
		}
	}
	return nil
}

// LoginInfoURL is the loginInfo service the endpoint's session starts at.
func (e *Endpoint) LoginInfoURL() string {
	if e.BullhornLoginInfoURL != "" {
		return e.BullhornLoginInfoURL
	}
	return DefaultBullhornLoginInfoURL
}

// checkBullhornPassword checks the API password of a bullhorn endpoint:
// required when none is stored, and entered again whenever the stored
// client secret must be (secretMustBeResent: a password never reaches a
// loginInfo service it was not entered for).
func checkBullhornPassword(before, e *Endpoint, password *string) error {
	if e.AuthType != AuthBullhorn {
		return nil
	}
	if password == nil {
		if e.BullhornPasswordSealed == "" {
			return problem.Invalid("bullhorn_password", "is required for auth type bullhorn (the API user's password)")
		}
		if why := secretMustBeResent(before, e); why != "" {
			return problem.Invalid("bullhorn_password", why)
		}
		return nil
	}
	switch p := *password; {
	case strings.TrimSpace(p) == "":
		return problem.Invalid("bullhorn_password", "is required for auth type bullhorn (the API user's password)")
	case strings.ContainsAny(p, "\r\n\x00") || len(p) > 4096:
		return problem.Invalid("bullhorn_password", "must be one line of at most 4096 bytes")
	}
	return nil
}
