// Package tenants owns who Switchboard's customers are: tenants (one per
// Boooply sourceId), their endpoints and the lookup of a tenant by sourceId.
package tenants

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/problem"
)

// Status is a tenant's lifecycle state. Active tenants receive deliveries;
// paused tenants' events are held and delivered on resume; disabled tenants'
// events are recorded and never delivered.
type Status string

// The tenant states.
const (
	StatusActive   Status = "active"
	StatusPaused   Status = "paused"
	StatusDisabled Status = "disabled"
)

// Tenant is one customer organization, identified on the inbound stream by
// SourceID (the organizationId the vendor passed to Boooply).
type Tenant struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	SourceID string `json:"source_id"`
	Status   Status `json:"status"`
	Notes    string `json:"notes"`
	// InboundSecretSealed, when set, is this tenant's own Boooply webhook
	// secret (sealed with secrets.Keyring, context "tenant:<id>:inbound").
	InboundSecretSealed string `json:"-"`
	// After a rotation the previous inbound secret (context
	// "tenant:<id>:inbound_prev") also verifies until PreviousInboundExpiresAt.
	PreviousInboundSecretSealed string     `json:"-"`
	PreviousInboundExpiresAt    *time.Time `json:"-"`
	// BoooplyAPIKeySealed is the organization's Boooply API key (sealed,
	// context "tenant:<id>:boooply"), used to mint fresh recording links.
	BoooplyAPIKeySealed string    `gorm:"column:boooply_api_key_sealed" json:"-"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// Endpoint is one URL of a tenant's systems that receives its events.
// An empty Subscriptions list means "the default event types"; "*" means
// every event type, including ones Switchboard learns later, except the
// named-only ones (TypeRule.NamedOnly), which go only to endpoints that name them.
//
// Secrets are stored sealed (secrets.Keyring) with the context
// "endpoint:<id>:<field>"; zero numeric values mean "the server default".
type Endpoint struct {
	ID            int64
	TenantID      int64
	URL           string
	Description   string
	Enabled       bool
	Subscriptions []string `gorm:"serializer:json"`

	// Method is the HTTP method of each delivery: POST (the default), PUT or PATCH.
	Method string `gorm:"default:POST"`
	// ProbeURL, when set, is GET by the delivery engine while the endpoint is
	// disabled automatically; a 2xx enables it again (empty: by hand only).
	ProbeURL string `gorm:"column:probe_url"`

	// Outbound authentication: AuthType none, bearer (secret = token), basic
	// (secret = "user:password"), header (AuthHeaderName: secret), oauth2
	// (secret = the client secret of the OAuth2 fields below) or bullhorn
	// (secret = the OAuth2 client secret; see the Bullhorn fields).
	AuthType         AuthType
	AuthHeaderName   string
	AuthSecretSealed string
	// OAuth2 client credentials (AuthType oauth2, RFC 6749 §4.4): the token
	// endpoint (checked by the SSRF guard like URL), the client id, the
	// scopes asked for, extra token request parameters (not secret, e.g.
	// Greenhouse's "sub") and how the client authenticates to the token
	// endpoint (OAuth2ClientAuth*). Empty unless AuthType is oauth2.
	OAuth2TokenURL   string            `gorm:"column:oauth2_token_url"`
	OAuth2ClientID   string            `gorm:"column:oauth2_client_id"`
	OAuth2Scopes     []string          `gorm:"column:oauth2_scopes;serializer:json"`
	OAuth2Params     map[string]string `gorm:"column:oauth2_params;serializer:json"`
	OAuth2ClientAuth string            `gorm:"column:oauth2_client_auth"`
	// Bullhorn REST sessions (AuthType bullhorn): the client id is
	// OAuth2ClientID and the client secret the auth secret; the API user's
	// name and password (sealed, context "endpoint:<id>:bullhorn_password"),
	// the loginInfo URL that finds the user's data centre (checked by the
	// SSRF guard like URL; empty: DefaultBullhornLoginInfoURL) and the
	// redirect_uri registered with the client (empty: none sent). Empty
	// unless AuthType is bullhorn.
	BullhornUsername       string     `gorm:"column:bullhorn_username"`
	BullhornPasswordSealed string     `gorm:"column:bullhorn_password_sealed"`
	BullhornPasswordSetAt  *time.Time `gorm:"column:bullhorn_password_set_at"`
	BullhornLoginInfoURL   string     `gorm:"column:bullhorn_login_info_url"`
	BullhornRedirectURI    string     `gorm:"column:bullhorn_redirect_uri"`
	// Standard Webhooks signing secret ("whsec_…"); while a rotation is in
	// progress the previous one also signs until PreviousSigningExpiresAt.
	SigningSecretSealed         string
	PreviousSigningSecretSealed string
	PreviousSigningExpiresAt    *time.Time
	// Headers are extra static headers sent with every delivery (not secret).
	Headers map[string]string `gorm:"serializer:json"`

	TimeoutMS          int     `gorm:"column:timeout_ms"`
	MaxAttempts        int     // retry override: total attempts
	MaxAgeSeconds      int     // retry override: give up this long after the event arrived
	RetryClientErrors  bool    // retry 4xx other than 408/429 instead of failing at once
	SkipRevisions      bool    // don't forward re-fired revisions (revision > 1)
	MaxConcurrency     int     // attempts in flight to this endpoint at once
	RateLimitPerSecond float64 // 0 = unlimited
	Ordered            bool    // deliver events of one meetingCode in arrival order
	ClientCertPEM      string  `gorm:"column:client_cert_pem"` // mutual TLS certificate (public)
	ClientKeySealed    string  // mutual TLS private key (sealed)

	// When each secret was last set (nil: never); shown instead of any hint of the value.
	AuthSecretSetAt    *time.Time
	SigningSecretSetAt *time.Time
	ClientKeySetAt     *time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
}

// AuthType is how Switchboard authenticates to an endpoint.
type AuthType string

// The outbound authentication kinds.
const (
	AuthNone   AuthType = "none"
	AuthBearer AuthType = "bearer"
	AuthBasic  AuthType = "basic"
	AuthHeader AuthType = "header"
	AuthOAuth2 AuthType = "oauth2"
	// AuthBullhorn logs in to Bullhorn's REST API (OAuth2 authorization
	// code for the API user, then /login) and sends the session's
	// BhRestToken; the endpoint URL starts with BullhornRestURL.
	AuthBullhorn AuthType = "bullhorn"
)

// How an oauth2 endpoint's client authenticates to its token endpoint.
const (
	OAuth2ClientAuthBasic = "basic" // HTTP Basic (RFC 6749 §2.3.1), the default
	OAuth2ClientAuthBody  = "body"  // client_id and client_secret in the form body
)

// SubscribeAll is the subscription that matches every event type except
// the named-only ones (see TypeRule.NamedOnly).
const SubscribeAll = "*"

// TypeRule is how an event type meets subscriptions that don't name it.
// webhooks owns the event types and fills it in; this package does not know them.
type TypeRule struct {
	// ForwardByDefault: endpoints that chose no subscriptions receive it.
	ForwardByDefault bool
	// NamedOnly: "*" does not match it, so only endpoints whose
	// subscriptions name it receive it (interviewer evaluations: about the
	// interviewer, not the candidate, and not for an ATS unless asked for).
	NamedOnly bool
}

// Subscribes reports whether the endpoint wants events of eventType, whose
// rule the caller knows.
func (e *Endpoint) Subscribes(eventType string, rule TypeRule) bool {
	if len(e.Subscriptions) == 0 {
		return rule.ForwardByDefault && !rule.NamedOnly
	}
	for _, s := range e.Subscriptions {
		if s == eventType || (s == SubscribeAll && !rule.NamedOnly) {
			return true
		}
	}
	return false
}

const (
	maxNameLen     = 200
	maxSourceIDLen = 200
	maxNotesLen    = 10000
)

// Validate checks the tenant's own fields (not its endpoints).
func (t *Tenant) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	t.SourceID = strings.TrimSpace(t.SourceID)
	switch {
	case t.Name == "":
		return problem.Invalid("name", "is required")
	case utf8.RuneCountInString(t.Name) > maxNameLen:
		return problem.Invalid("name", "is longer than 200 characters")
	case t.SourceID == "":
		return problem.Invalid("source_id", "is required (the organizationId passed to Boooply)")
	case len(t.SourceID) > maxSourceIDLen:
		return problem.Invalid("source_id", "is longer than 200 bytes")
	}
	if utf8.RuneCountInString(t.Notes) > maxNotesLen {
		return problem.Invalid("notes", "is longer than 10000 characters")
	}
	if t.Status == "" {
		t.Status = StatusActive
	}
	return t.Status.validate()
}

func (s Status) validate() error {
	switch s {
	case StatusActive, StatusPaused, StatusDisabled:
		return nil
	}
	return problem.Invalid("status", "must be active, paused or disabled")
}

// TenantUpdate changes the fields that are set; nil means "leave as is".
type TenantUpdate struct {
	Name     *string `json:"name"`
	SourceID *string `json:"source_id"`
	Notes    *string `json:"notes"`
	Status   *Status `json:"status"`
	// InboundSecret is the tenant's own Boooply webhook secret and
	// BoooplyAPIKey its organization API key, in plaintext; they are sealed
	// before storing (Editor only). "" clears.
	InboundSecret *string `json:"inbound_secret"`
	BoooplyAPIKey *string `json:"boooply_api_key"`
}

// apply copies the set fields onto t and validates the result.
func (u TenantUpdate) apply(t *Tenant) error {
	if u.Name != nil {
		t.Name = *u.Name
	}
	if u.SourceID != nil {
		t.SourceID = *u.SourceID
	}
	if u.Notes != nil {
		t.Notes = *u.Notes
	}
	if u.Status != nil {
		if err := u.Status.validate(); err != nil {
			return err
		}
		t.Status = *u.Status
	}
	return t.Validate()
}
