package tenants

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
)

// prepare applies in to e and validates the result, secrets included,
// before anything is written. db reads the received event types: the
// caller's transaction, if any.
func (ed *Editor) prepare(ctx context.Context, db *gorm.DB, e *Endpoint, in EndpointInput) error {
	before := *e
	in.apply(e)
	urls := ed.endpointURLs()
	if before.ID != 0 {
		urls = storedURLsOf(urls, &before)
	}
	if err := e.Validate(ctx, urls); err != nil {
		return err
	}
	if err := ed.checkSubscriptions(ctx, db, e, before.Subscriptions); err != nil {
		return err
	}
	if err := ed.checkAuthSecret(&before, e, in.AuthSecret); err != nil {
		return err
	}
	if err := checkBullhornPassword(&before, e, in.BullhornPassword); err != nil {
		return err
	}
	return ed.checkClientKey(e, in.ClientKeyPEM)
}

// checkSubscriptions refuses event types Switchboard neither knows nor has
// received (a typo guard), so an endpoint can still subscribe to a type
// Boooply added after this build. Names in kept, the endpoint's own, pass.
func (ed *Editor) checkSubscriptions(ctx context.Context, db *gorm.DB, e *Endpoint, kept []string) error {
	for _, name := range e.unlistedSubscriptions(ed.eventTypes, kept) {
		ok, err := everReceived(ctx, db, name)
		if err != nil {
			return err
		}
		if !ok {
			return unknownSubscription(name, ed.eventTypes)
		}
	}
	return nil
}

func (ed *Editor) checkAuthSecret(before, e *Endpoint, secret *string) error {
	if e.AuthType == AuthNone {
		return nil
	}
	if secret == nil {
		if e.AuthSecretSealed == "" {
			return problem.Invalid("auth_secret", "is required for auth type "+string(e.AuthType))
		}
		if why := secretMustBeResent(before, e); why != "" {
			return problem.Invalid("auth_secret", why)
		}
		return nil
	}
	s := *secret
	switch {
	case strings.TrimSpace(s) == "":
		return problem.Invalid("auth_secret", "is required for auth type "+string(e.AuthType))
	case strings.ContainsAny(s, "\r\n\x00") || len(s) > 4096:
		return problem.Invalid("auth_secret", "must be one line of at most 4096 bytes")
	case e.AuthType == AuthBasic && !strings.Contains(s, ":"):
		return problem.Invalid("auth_secret", `must be "user:password" for basic auth`)
	}
	return nil
}

func (ed *Editor) checkClientKey(e *Endpoint, key *string) error {
	switch {
	case key != nil && *key != "":
		return checkClientKey(e.ClientCertPEM, *key)
	case key == nil && e.ClientKeySealed != "" && e.ClientCertPEM != "" && ed.ring != nil:
		// The certificate may have changed: it must still match the stored key.
		plain, err := ed.ring.Open(e.ClientKeySealed, EndpointSecretContext(e.ID, "client_key"))
		if err != nil {
			return problem.Invalid("client_key_pem", "the stored key can't be read; send it again")
		}
		return checkClientKey(e.ClientCertPEM, string(plain))
	}
	return nil
}

// sealInputs seals the plaintext secrets of in onto e (whose ID is known).
func (ed *Editor) sealInputs(e *Endpoint, in EndpointInput, now time.Time) error {
	switch {
	case e.AuthType == AuthNone:
		e.AuthSecretSealed, e.AuthSecretSetAt = "", nil
	case in.AuthSecret != nil:
		if ed.ring == nil {
			return errNoKey("auth_secret")
		}
		sealed, err := ed.ring.Seal([]byte(*in.AuthSecret), EndpointSecretContext(e.ID, "auth"))
		if err != nil {
			return err
		}
		e.AuthSecretSealed, e.AuthSecretSetAt = sealed, &now
	}
	switch {
	case e.AuthType != AuthBullhorn:
		e.BullhornPasswordSealed, e.BullhornPasswordSetAt = "", nil
	case in.BullhornPassword != nil:
		if ed.ring == nil {
			return errNoKey("bullhorn_password")
		}
		sealed, err := ed.ring.Seal([]byte(*in.BullhornPassword), EndpointSecretContext(e.ID, "bullhorn_password"))
		if err != nil {
			return err
		}
		e.BullhornPasswordSealed, e.BullhornPasswordSetAt = sealed, &now
	}
	switch {
	case e.ClientCertPEM == "" || (in.ClientKeyPEM != nil && *in.ClientKeyPEM == ""):
		e.ClientKeySealed, e.ClientKeySetAt = "", nil
	case in.ClientKeyPEM != nil:
		if ed.ring == nil {
			return errNoKey("client_key_pem")
		}
		sealed, err := ed.ring.Seal([]byte(*in.ClientKeyPEM), EndpointSecretContext(e.ID, "client_key"))
		if err != nil {
			return err
		}
		e.ClientKeySealed, e.ClientKeySetAt = sealed, &now
	}
	return nil
}

// newSigningSecret generates a Standard Webhooks secret, seals it onto e and
// returns the plaintext. Without a keyring (a CLI run without the operator
// key) the endpoint gets none; endpoints rotate-secret adds one later.
func (ed *Editor) newSigningSecret(e *Endpoint, now time.Time) (string, error) {
	if ed.ring == nil {
		return "", nil
	}
	secret, err := secrets.NewToken("whsec_", 32)
	if err != nil {
		return "", err
	}
	sealed, err := ed.ring.Seal([]byte(secret), EndpointSecretContext(e.ID, "signing"))
	if err != nil {
		return "", err
	}
	e.SigningSecretSealed, e.SigningSecretSetAt = sealed, &now
	return secret, nil
}

// keepPrevious moves the current signing secret to the previous slot
// (re-sealed under the signing_prev context) until expires.
func (ed *Editor) keepPrevious(e *Endpoint, expires time.Time) error {
	if e.SigningSecretSealed == "" {
		e.PreviousSigningSecretSealed, e.PreviousSigningExpiresAt = "", nil
		return nil
	}
	if ed.ring == nil {
		return errNoKey("signing_secret")
	}
	plain, err := ed.ring.Open(e.SigningSecretSealed, EndpointSecretContext(e.ID, "signing"))
	if err != nil {
		return err
	}
	sealed, err := ed.ring.Seal(plain, EndpointSecretContext(e.ID, "signing_prev"))
	if err != nil {
		return err
	}
	e.PreviousSigningSecretSealed, e.PreviousSigningExpiresAt = sealed, &expires
	return nil
}

// errNoKey refuses to store a secret when the operator key was not given.
func errNoKey(field string) error {
	return problem.Invalid(field, "storing a secret needs the operator key (SWITCHBOARD_SECRET_KEY)")
}

// UpdateTenant applies u to tenant id like Store.UpdateTenant, and seals
// its secrets (contexts "tenant:<id>:inbound" and "tenant:<id>:boooply").
func (ed *Editor) UpdateTenant(ctx context.Context, id int64, u TenantUpdate) (*Tenant, error) {
	if ed.ring == nil {
		return ed.Store.UpdateTenant(ctx, id, u)
	}
	return ed.updateTenant(ctx, id, u, ed.sealTenant)
}

func (ed *Editor) sealTenant(t *Tenant, u TenantUpdate) error {
	for _, f := range []struct {
		in    *string
		dst   *string
		field string
		what  string
	}{
		{u.InboundSecret, &t.InboundSecretSealed, "inbound_secret", "inbound"},
		{u.BoooplyAPIKey, &t.BoooplyAPIKeySealed, "boooply_api_key", "boooply"},
	} {
		if f.in != nil && f.what == "inbound" {
			// Set or cleared by hand: no earlier secret keeps verifying
			// (RotateInboundSecret sets the previous one after this).
			t.PreviousInboundSecretSealed, t.PreviousInboundExpiresAt = "", nil
		}
		switch {
		case f.in == nil:
		case *f.in == "":
			*f.dst = ""
		case len(*f.in) > 4096 || strings.ContainsAny(*f.in, "\r\n\x00"):
			return problem.Invalid(f.field, "must be one line of at most 4096 bytes")
		default:
			sealed, err := ed.ring.Seal([]byte(*f.in), fmt.Sprintf("tenant:%d:%s", t.ID, f.what))
			if err != nil {
				return err
			}
			*f.dst = sealed
		}
	}
	return nil
}

// RotateInboundSecret gives tenant id a new own inbound secret and keeps the
// current one verifying for overlap (at most MaxSigningOverlap), as sources
// rotate: Boooply can switch over without a rejected event. It returns the
// new secret, shown once. A tenant without an own secret has nothing to
// rotate (problem.Conflict): its webhooks are signed with the platform's.
func (ed *Editor) RotateInboundSecret(ctx context.Context, id int64, overlap time.Duration) (string, *Tenant, error) {
	if ed.ring == nil {
		return "", nil, errNoKey("inbound_secret")
	}
	if overlap < 0 || overlap > MaxSigningOverlap {
		return "", nil, problem.Invalid("overlap", "must be between 0 and "+MaxSigningOverlap.String())
	}
	secret, err := secrets.NewToken("whsec_", 32)
	if err != nil {
		return "", nil, err
	}
	expires := ed.now().UTC().Add(overlap)
	t, err := ed.updateTenant(ctx, id, TenantUpdate{InboundSecret: &secret}, func(t *Tenant, u TenantUpdate) error {
		if t.InboundSecretSealed == "" {
			return problem.Conflict("this tenant has no inbound secret of its own to rotate: Boooply signs its webhooks with the " +
				"platform's secret (Sources). Set an own secret under Boooply credentials only once Boooply signs this organization's webhooks with it.")
		}
		plain, err := ed.ring.Open(t.InboundSecretSealed, fmt.Sprintf("tenant:%d:inbound", t.ID))
		if err != nil {
			return err
		}
		prev, err := ed.ring.Seal(plain, fmt.Sprintf("tenant:%d:inbound_prev", t.ID))
		if err != nil {
			return err
		}
		if err := ed.sealTenant(t, u); err != nil {
			return err
		}
		t.PreviousInboundSecretSealed, t.PreviousInboundExpiresAt = prev, &expires
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}
