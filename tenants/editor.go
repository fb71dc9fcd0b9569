package tenants

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
)

// DefaultSigningOverlap is how long a rotated-out signing secret keeps signing.
const DefaultSigningOverlap = 24 * time.Hour

// MaxSigningOverlap is the longest a rotated-out secret may stay valid: a
// month is ample to switch a receiver (or Boooply) over, and a bound keeps a
// huge overlap from overflowing time arithmetic into an instant expiry.
// Source secret rotation uses the same cap.
const MaxSigningOverlap = 30 * 24 * time.Hour

// Editor changes tenants and endpoints with validation and sealed secrets.
// It embeds the Store for reads.
type Editor struct {
	*Store
	ring       *secrets.Keyring
	urls       URLChecker
	eventTypes []string
	templates  URLTemplateChecker // nil: placeholders aren't validated (see CheckURLTemplates)
	defaults   []string           // event types an endpoint without subscriptions receives (see DefaultEventTypes)
	namedOnly  []string           // event types "*" does not match (see NamedOnlyEventTypes)

	// beforeImportWrite, when set (tests only), runs between an import's
	// check of its sourceIds and its insert: the window another writer can
	// take one of them in.
	beforeImportWrite func()
}

// NewEditor returns an editor over store. urls is the SSRF guard,
// eventTypes the names endpoints may subscribe to (besides "*"). A nil ring
// (no operator key) creates endpoints without signing secrets and refuses
// every change that stores a secret.
func NewEditor(store *Store, ring *secrets.Keyring, urls URLChecker, eventTypes []string) *Editor {
	return &Editor{Store: store, ring: ring, urls: urls, eventTypes: eventTypes}
}

// DefaultEventTypes names the event types an endpoint that subscribes to
// none receives, for the endpoint form to say so (webhooks owns the list;
// main wires it). It returns ed.
func (ed *Editor) DefaultEventTypes(names []string) *Editor {
	ed.defaults = names
	return ed
}

// NamedOnlyEventTypes names the event types "*" does not match (only
// endpoints that name them receive them), for the endpoint form to say so
// (webhooks owns the list; main wires it). It returns ed.
func (ed *Editor) NamedOnlyEventTypes(names []string) *Editor {
	ed.namedOnly = names
	return ed
}

// CreateTenant validates and inserts t with its endpoints in one
// transaction. The views carry each endpoint's new signing secret (shown once).
func (ed *Editor) CreateTenant(ctx context.Context, t *Tenant, inputs []EndpointInput) ([]EndpointView, error) {
	p, err := ed.prepareTenant(ctx, t, inputs)
	if err != nil {
		return nil, err
	}
	var created []Created
	err = ed.write(ctx, func(tx *gorm.DB) (err error) {
		created, err = ed.insertTenants(tx, []preparedTenant{p})
		return err
	})
	if err != nil {
		return nil, err
	}
	return created[0].Endpoints, nil
}

// preparedTenant is a validated tenant with its validated endpoints, ready to insert.
type preparedTenant struct {
	tenant    *Tenant
	endpoints []*Endpoint
	inputs    []EndpointInput // the endpoints' inputs, for their secrets
}

// prepareTenant validates t and its endpoints before anything is written;
// an endpoint's error names its field as endpoints[i].field.
func (ed *Editor) prepareTenant(ctx context.Context, t *Tenant, inputs []EndpointInput) (preparedTenant, error) {
	if err := t.Validate(); err != nil {
		return preparedTenant{}, err
	}
	if len(inputs) > MaxNewEndpoints {
		return preparedTenant{}, problem.Invalid("endpoints", fmt.Sprintf("holds %d endpoints; a tenant is created with at most %d (add more later)", len(inputs), MaxNewEndpoints))
	}
	eps := make([]*Endpoint, len(inputs))
	for i, in := range inputs {
		eps[i] = &Endpoint{Enabled: true}
		if err := ed.prepare(ctx, ed.db, eps[i], in); err != nil {
			return preparedTenant{}, prefixField(err, fmt.Sprintf("endpoints[%d].", i))
		}
	}
	return preparedTenant{tenant: t, endpoints: eps, inputs: inputs}, nil
}

// AddEndpoint validates in and adds it to the tenant; the view carries the
// new signing secret (shown once).
func (ed *Editor) AddEndpoint(ctx context.Context, tenantID int64, in EndpointInput) (EndpointView, error) {
	e := &Endpoint{Enabled: true, TenantID: tenantID}
	if err := ed.prepare(ctx, ed.db, e, in); err != nil {
		return EndpointView{}, err
	}
	var v EndpointView
	err := ed.write(ctx, func(tx *gorm.DB) error {
		if _, err := findTenant(ctx, tx, tenantID); err != nil {
			return err
		}
		now := ed.now().UTC()
		e.CreatedAt, e.UpdatedAt = now, now
		if err := tx.Create(e).Error; err != nil {
			return fmt.Errorf("insert endpoint: %w", err)
		}
		var err error
		v, err = ed.finishNew(tx, e, in)
		return err
	})
	return v, err
}

// finishNew seals the secrets of a just-inserted endpoint (whose id they are bound to) and generates its signing secret.
func (ed *Editor) finishNew(tx *gorm.DB, e *Endpoint, in EndpointInput) (EndpointView, error) {
	now := ed.now().UTC()
	if err := ed.sealInputs(e, in, now); err != nil {
		return EndpointView{}, err
	}
	secret, err := ed.newSigningSecret(e, now)
	if err != nil {
		return EndpointView{}, err
	}
	if err := saveEndpoint(tx, e); err != nil {
		return EndpointView{}, err
	}
	v := e.View()
	v.NewSigningSecret = secret
	return v, nil
}

// UpdateEndpoint applies in to the tenant's endpoint id.
func (ed *Editor) UpdateEndpoint(ctx context.Context, tenantID, id int64, in EndpointInput) (EndpointView, error) {
	var v EndpointView
	err := ed.write(ctx, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, "endpoints", id, database.LockForChange); err != nil {
			return err
		}
		e, err := findEndpoint(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if err := ed.prepare(ctx, tx, e, in); err != nil {
			return err
		}
		now := ed.now().UTC()
		if err := ed.sealInputs(e, in, now); err != nil {
			return err
		}
		e.UpdatedAt = now
		if err := saveEndpoint(tx, e); err != nil {
			return err
		}
		if in.Enabled != nil {
			// A choice made by hand replaces an automatic disable: its reason
			// goes, and the health probe never overrides the admin.
			if err := tx.Table("endpoints").Where("id = ?", id).
				Updates(map[string]any{"disabled_reason": "", "disabled_at": nil}).Error; err != nil {
				return fmt.Errorf("clear disabled reason of endpoint %d: %w", id, err)
			}
		}
		v = e.View()
		return nil
	})
	return v, err
}

// RemoveEndpoint deletes the tenant's endpoint id. One with deliveries on
// record is refused (problem.Conflict): disable it instead.
func (ed *Editor) RemoveEndpoint(ctx context.Context, tenantID, id int64) error {
	return ed.write(ctx, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, "endpoints", id, database.LockForDelete); err != nil {
			return err
		}
		if _, err := findEndpoint(ctx, tx, tenantID, id); err != nil {
			return err
		}
		var n int64
		if err := tx.Table("deliveries").Where("endpoint_id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("count deliveries of endpoint %d: %w", id, err)
		}
		if n > 0 {
			return problem.Conflict(fmt.Sprintf("endpoint has %d deliveries on record; disable it (enabled=false) instead", n))
		}
		if err := tx.Where("tenant_id = ? AND id = ?", tenantID, id).Delete(&Endpoint{}).Error; err != nil {
			return fmt.Errorf("delete endpoint %d: %w", id, err)
		}
		return nil
	})
}

// RotateSigningSecret gives the endpoint a new signing secret; the old one
// keeps signing alongside it for overlap (DefaultSigningOverlap when 0). The
// view carries the new secret (shown once).
func (ed *Editor) RotateSigningSecret(ctx context.Context, tenantID, id int64, overlap time.Duration) (EndpointView, error) {
	if ed.ring == nil {
		// Without the operator key no secret can be made: a rotation
		// would store nothing and show an empty "new" secret.
		return EndpointView{}, errNoKey("signing_secret")
	}
	if overlap < 0 || overlap > MaxSigningOverlap {
		return EndpointView{}, problem.Invalid("overlap", "must be between 0 and 720h")
	}
	if overlap == 0 {
		overlap = DefaultSigningOverlap
	}
	var v EndpointView
	err := ed.write(ctx, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, "endpoints", id, database.LockForChange); err != nil {
			return err
		}
		e, err := findEndpoint(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		now := ed.now().UTC()
		if err := ed.keepPrevious(e, now.Add(overlap)); err != nil {
			return err
		}
		secret, err := ed.newSigningSecret(e, now)
		if err != nil {
			return err
		}
		e.UpdatedAt = now
		if err := saveEndpoint(tx, e); err != nil {
			return err
		}
		v = e.View()
		v.NewSigningSecret = secret
		return nil
	})
	return v, err
}

func saveEndpoint(tx *gorm.DB, e *Endpoint) error {
	if err := tx.Select("*").Omit("created_at").Save(e).Error; err != nil {
		return fmt.Errorf("save endpoint %d: %w", e.ID, err)
	}
	return nil
}

// prefixField names the field of a nested input ("endpoints[0].url").
func prefixField(err error, prefix string) error {
	p, ok := problem.As(err)
	if !ok || len(p.Details) == 0 {
		return err
	}
	field := prefix + p.Details[0].Field
	return problem.Invalid(field, p.Details[0].Reason)
}

// EndpointSecretContext names what a sealed endpoint secret is bound to
// (what: auth, signing, signing_prev, client_key).
func EndpointSecretContext(id int64, what string) string {
	return fmt.Sprintf("endpoint:%d:%s", id, what)
}

func trimmed(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}
