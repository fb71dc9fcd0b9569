package tenants

// EndpointInput is what a caller sends to add or change an endpoint. Nil
// fields mean "the default" on add and "leave as is" on update. Secrets
// arrive in plaintext here and are sealed before they are stored; an empty
// AuthSecret or ClientKeyPEM clears the stored one. BullhornPassword, the
// Bullhorn API user's password, is a secret too (required, never cleared
// while the auth type is bullhorn).
type EndpointInput struct {
	URL                *string            `json:"url"`
	Method             *string            `json:"method"`
	ProbeURL           *string            `json:"probe_url"`
	Description        *string            `json:"description"`
	Enabled            *bool              `json:"enabled"`
	Subscriptions      *[]string          `json:"subscriptions"`
	AuthType           *AuthType          `json:"auth_type"`
	AuthHeaderName     *string            `json:"auth_header_name"`
	AuthSecret         *string            `json:"auth_secret"`
	OAuth2TokenURL     *string            `json:"oauth2_token_url"`
	OAuth2ClientID     *string            `json:"oauth2_client_id"`
	OAuth2Scopes       *[]string          `json:"oauth2_scopes"`
	OAuth2Params       *map[string]string `json:"oauth2_params"`
	OAuth2ClientAuth   *string            `json:"oauth2_client_auth"`
	BullhornUsername   *string            `json:"bullhorn_username"`
	BullhornPassword   *string            `json:"bullhorn_password"`
	BullhornLoginInfo  *string            `json:"bullhorn_login_info_url"`
	BullhornRedirect   *string            `json:"bullhorn_redirect_uri"`
	Headers            *map[string]string `json:"headers"`
	TimeoutMS          *int               `json:"timeout_ms"`
	MaxAttempts        *int               `json:"max_attempts"`
	MaxAgeSeconds      *int               `json:"max_age_seconds"`
	RetryClientErrors  *bool              `json:"retry_client_errors"`
	SkipRevisions      *bool              `json:"skip_revisions"`
	MaxConcurrency     *int               `json:"max_concurrency"`
	RateLimitPerSecond *float64           `json:"rate_limit_per_second"`
	Ordered            *bool              `json:"ordered"`
	ClientCertPEM      *string            `json:"client_cert_pem"`
	ClientKeyPEM       *string            `json:"client_key_pem"`
}

// apply copies the set non-secret fields onto e.
func (in EndpointInput) apply(e *Endpoint) {
	set(&e.URL, in.URL)
	set(&e.Method, in.Method)
	set(&e.ProbeURL, in.ProbeURL)
	set(&e.Description, in.Description)
	set(&e.Enabled, in.Enabled)
	set(&e.Subscriptions, in.Subscriptions)
	set(&e.AuthType, in.AuthType)
	set(&e.AuthHeaderName, in.AuthHeaderName)
	set(&e.OAuth2TokenURL, in.OAuth2TokenURL)
	set(&e.OAuth2ClientID, in.OAuth2ClientID)
	set(&e.OAuth2Scopes, in.OAuth2Scopes)
	set(&e.OAuth2Params, in.OAuth2Params)
	set(&e.OAuth2ClientAuth, in.OAuth2ClientAuth)
	set(&e.BullhornUsername, in.BullhornUsername)
	set(&e.BullhornLoginInfoURL, in.BullhornLoginInfo)
	set(&e.BullhornRedirectURI, in.BullhornRedirect)
	set(&e.Headers, in.Headers)
	set(&e.TimeoutMS, in.TimeoutMS)
	set(&e.MaxAttempts, in.MaxAttempts)
	set(&e.MaxAgeSeconds, in.MaxAgeSeconds)
	set(&e.RetryClientErrors, in.RetryClientErrors)
	set(&e.SkipRevisions, in.SkipRevisions)
	set(&e.MaxConcurrency, in.MaxConcurrency)
	set(&e.RateLimitPerSecond, in.RateLimitPerSecond)
	set(&e.Ordered, in.Ordered)
	set(&e.ClientCertPEM, in.ClientCertPEM)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
