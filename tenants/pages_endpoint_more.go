package tenants

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/views"
)

// endpointFormMore fills the endpoint form's HTTP method, health probe and
// mutual-TLS fields; the client key is write-only (set / not set).
func (h *Pages) endpointFormMore(p *views.EndpointForm, e *Endpoint, fld func(name, label, value, hint string) views.Field) {
	p.Method = fld("method", "HTTP method", "", "Most receivers take POST; some ATS APIs want PUT or PATCH.")
	for _, m := range Methods {
		p.Method.Options = append(p.Method.Options, views.Option{Value: m, Label: m, Selected: m == e.Method || (e.Method == "" && m == DefaultMethod)})
	}
	p.ProbeURL = fld("probe_url", "Health probe URL", e.ProbeURL,
		"Optional. While the endpoint fails, a GET here (2xx) tells when to resume before the next retry.")
	p.ClientCert = fld("client_cert_pem", "Client certificate (PEM)", e.ClientCertPEM,
		"For receivers that require mutual TLS. Public; paste the CERTIFICATE block(s).")
	p.ClientKey = fld("client_key_pem", "Client private key (PEM)", "", "Write-only: stored sealed, never shown again.")
	p.HasClientKey = e.ClientKeySealed != ""
	endpointFormOAuth2(p, e, fld)
	endpointFormBullhorn(p, e, fld)
}

// endpointFormBullhorn fills the Bullhorn login fields, shown when the auth
// type is bullhorn; the client id field is shared with oauth2 and the
// client secret is Secret above. The password is write-only.
func endpointFormBullhorn(p *views.EndpointForm, e *Endpoint, fld func(name, label, value, hint string) views.Field) {
	p.BullhornUsername = fld("bullhorn_username", "API user name", e.BullhornUsername, "The Bullhorn API user the notes are written as.")
	p.BullhornPassword = fld("bullhorn_password", "API user password", "", "Write-only: stored sealed, never shown again.")
	p.HasBullhornPassword = e.BullhornPasswordSealed != ""
	p.BullhornLoginInfo = fld("bullhorn_login_info_url", "loginInfo URL", e.BullhornLoginInfoURL,
		"Empty: "+DefaultBullhornLoginInfoURL+" (finds the user's data centre). Changing it needs the client secret and password again.")
	p.BullhornRedirect = fld("bullhorn_redirect_uri", "Redirect URI", e.BullhornRedirectURI,
		"Only if one is registered with the client: sent with the login, never followed.")
}

// bullhornInput reads the Bullhorn fields of the endpoint form into in; an
// empty password keeps the stored one.
func bullhornInput(c *fiber.Ctx, in *EndpointInput) {
	str := func(name string) *string { v := strings.TrimSpace(c.FormValue(name)); return &v }
	in.BullhornUsername, in.BullhornLoginInfo, in.BullhornRedirect = str("bullhorn_username"), str("bullhorn_login_info_url"), str("bullhorn_redirect_uri")
	if s := c.FormValue("bullhorn_password"); s != "" {
		in.BullhornPassword = &s
	}
}

// endpointFormOAuth2 fills the OAuth2 client credential fields, shown when
// the auth type is oauth2 (app.js hides them for the other types; without
// JavaScript they stay visible).
func endpointFormOAuth2(p *views.EndpointForm, e *Endpoint, fld func(name, label, value, hint string) views.Field) {
	p.OAuth2TokenURL = fld("oauth2_token_url", "Token URL", e.OAuth2TokenURL,
		"The token endpoint of the client credentials grant, e.g. https://auth.greenhouse.io/token. Changing it needs the client secret again.")
	p.OAuth2ClientID = fld("oauth2_client_id", "Client ID", e.OAuth2ClientID, "For oauth2 and bullhorn; the client secret goes in Secret above.")
	p.OAuth2Scopes = fld("oauth2_scopes", "Scopes", strings.Join(e.OAuth2Scopes, " "), "Space- or comma-separated; empty: none asked for.")
	p.OAuth2Params = fld("oauth2_params", "Extra token parameters", formatParams(e.OAuth2Params),
		"One name=value per line, not secret, e.g. sub=<user id> for Greenhouse Harvest v3, or audience=….")
	p.OAuth2ClientAuth = fld("oauth2_client_auth", "Client authentication", "", "How the client id and secret reach the token endpoint.")
	for _, o := range []views.Option{{Value: OAuth2ClientAuthBasic, Label: "HTTP Basic (default)"}, {Value: OAuth2ClientAuthBody, Label: "In the request body"}} {
		o.Selected = o.Value == e.OAuth2ClientAuth || (e.OAuth2ClientAuth == "" && o.Value == OAuth2ClientAuthBasic)
		p.OAuth2ClientAuth.Options = append(p.OAuth2ClientAuth.Options, o)
	}
}

// oauth2Input reads the OAuth2 fields of the endpoint form into in.
func oauth2Input(c *fiber.Ctx, in *EndpointInput, errs map[string]string) {
	str := func(name string) *string { v := strings.TrimSpace(c.FormValue(name)); return &v }
	in.OAuth2TokenURL, in.OAuth2ClientID, in.OAuth2ClientAuth = str("oauth2_token_url"), str("oauth2_client_id"), str("oauth2_client_auth")
	scopes := strings.FieldsFunc(c.FormValue("oauth2_scopes"), func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	in.OAuth2Scopes = &scopes
	params := map[string]string{}
	for i, line := range strings.Split(c.FormValue("oauth2_params"), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if k = strings.TrimSpace(k); !ok || k == "" {
			errs["oauth2_params"] = fmt.Sprintf("line %d: write name=value", i+1)
			return
		}
		params[k] = strings.TrimSpace(v)
	}
	in.OAuth2Params = &params
}

func formatParams(params map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(params)) {
		b.WriteString(k + "=" + params[k] + "\n")
	}
	return b.String()
}
