package tenants

import "time"

// EndpointView is an endpoint as the API and CLI show it: every setting,
// and for each secret only whether it is set and since when — never the
// value, a hint of it, or its sealed form.
type EndpointView struct {
	ID                 int64             `json:"id"`
	TenantID           int64             `json:"tenant_id"`
	URL                string            `json:"url"`
	Method             string            `json:"method"`
	ProbeURL           string            `json:"probe_url,omitempty"`
	Description        string            `json:"description"`
	Enabled            bool              `json:"enabled"`
	Subscriptions      []string          `json:"subscriptions"`
	AuthType           AuthType          `json:"auth_type"`
	AuthHeaderName     string            `json:"auth_header_name,omitempty"`
	AuthSecret         SecretState       `json:"auth_secret"`
	OAuth2TokenURL     string            `json:"oauth2_token_url,omitempty"`
	OAuth2ClientID     string            `json:"oauth2_client_id,omitempty"`
	OAuth2Scopes       []string          `json:"oauth2_scopes,omitempty"`
	OAuth2Params       map[string]string `json:"oauth2_params,omitempty"`
	OAuth2ClientAuth   string            `json:"oauth2_client_auth,omitempty"`
	BullhornUsername   string            `json:"bullhorn_username,omitempty"`
	BullhornPassword   *SecretState      `json:"bullhorn_password,omitempty"`
	BullhornLoginInfo  string            `json:"bullhorn_login_info_url,omitempty"`
	BullhornRedirect   string            `json:"bullhorn_redirect_uri,omitempty"`
	SigningSecret      SecretState       `json:"signing_secret"`
	PreviousSigning    *SecretState      `json:"previous_signing_secret,omitempty"`
	Headers            map[string]string `json:"headers"`
	TimeoutMS          int               `json:"timeout_ms"`
	MaxAttempts        int               `json:"max_attempts"`
	MaxAgeSeconds      int               `json:"max_age_seconds"`
	RetryClientErrors  bool              `json:"retry_client_errors"`
	SkipRevisions      bool              `json:"skip_revisions"`
	MaxConcurrency     int               `json:"max_concurrency"`
	RateLimitPerSecond float64           `json:"rate_limit_per_second"`
	Ordered            bool              `json:"ordered"`
	ClientCertPEM      string            `json:"client_cert_pem,omitempty"`
	ClientKey          SecretState       `json:"client_key"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
	// NewSigningSecret is the plaintext "whsec_…" secret, present only in
	// the answer to the request that created or rotated it.
	NewSigningSecret string `json:"new_signing_secret,omitempty"`
}

// SecretState says whether a secret is set and when it was set; for the
// previous signing secret, until when it still signs.
type SecretState struct {
	Set       bool       `json:"set"`
	SetAt     *time.Time `json:"set_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// View returns the endpoint as callers may see it.
func (e *Endpoint) View() EndpointView {
	v := EndpointView{
		ID: e.ID, TenantID: e.TenantID, URL: e.URL, Method: e.Method, ProbeURL: e.ProbeURL, Description: e.Description, Enabled: e.Enabled,
		Subscriptions: e.Subscriptions, AuthType: e.AuthType, AuthHeaderName: e.AuthHeaderName,
		AuthSecret:    SecretState{Set: e.AuthSecretSealed != "", SetAt: e.AuthSecretSetAt},
		SigningSecret: SecretState{Set: e.SigningSecretSealed != "", SetAt: e.SigningSecretSetAt},
		Headers:       e.Headers, TimeoutMS: e.TimeoutMS, MaxAttempts: e.MaxAttempts, MaxAgeSeconds: e.MaxAgeSeconds,
		RetryClientErrors: e.RetryClientErrors, SkipRevisions: e.SkipRevisions, MaxConcurrency: e.MaxConcurrency,
		RateLimitPerSecond: e.RateLimitPerSecond, Ordered: e.Ordered, ClientCertPEM: e.ClientCertPEM,
		ClientKey: SecretState{Set: e.ClientKeySealed != "", SetAt: e.ClientKeySetAt},
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
	if e.AuthType == AuthOAuth2 {
		v.OAuth2TokenURL, v.OAuth2ClientID, v.OAuth2ClientAuth = e.OAuth2TokenURL, e.OAuth2ClientID, e.OAuth2ClientAuth
		v.OAuth2Scopes, v.OAuth2Params = e.OAuth2Scopes, e.OAuth2Params
	}
	if e.AuthType == AuthBullhorn {
		v.OAuth2ClientID, v.BullhornUsername, v.BullhornRedirect = e.OAuth2ClientID, e.BullhornUsername, e.BullhornRedirectURI
		v.BullhornLoginInfo = e.LoginInfoURL()
		v.BullhornPassword = &SecretState{Set: e.BullhornPasswordSealed != "", SetAt: e.BullhornPasswordSetAt}
	}
	if e.PreviousSigningSecretSealed != "" {
		v.PreviousSigning = &SecretState{Set: true, ExpiresAt: e.PreviousSigningExpiresAt}
	}
	if v.Subscriptions == nil {
		v.Subscriptions = []string{}
	}
	return v
}
