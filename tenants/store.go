package tenants

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
)

// Store reads and writes tenants and endpoints. Every write bumps the
// tenants_version row in the same transaction, which is how the sourceId
// caches of all replicas learn about it (see Cache).
type Store struct {
	db  *gorm.DB
	now func() time.Time
	// changed, when set, is called after a write commits (the local cache refreshes at once).
	changed func()
}

// NewStore returns a store over db.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, now: time.Now}
}

// OnChange makes the store call f after each committed write (main passes
// the local Cache's Changed). It returns s.
func (s *Store) OnChange(f func()) *Store {
	s.changed = f
	return s
}

// write runs fn in a transaction that also bumps tenants_version, then
// notifies the local cache.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		return BumpVersion(tx)
	})
	if err == nil && s.changed != nil {
		s.changed()
	}
	return err
}

// BumpVersion marks tenants and endpoints as changed, inside tx, so every
// replica's Cache reloads within a poll interval. Code outside this package
// that writes the tenants or endpoints tables (e.g. the delivery worker
// disabling an endpoint) must call it in the same transaction.
func BumpVersion(tx *gorm.DB) error {
	if err := tx.Exec("UPDATE tenants_version SET version = version + 1 WHERE id = 1").Error; err != nil {
		return fmt.Errorf("bump tenants version: %w", err)
	}
	return nil
}

// CreateTenant inserts t and its endpoints in one transaction and fills in
// their ids. Callers validate first. A taken sourceId is a problem.Conflict.
// Endpoints created here get no signing secret; Editor.CreateTenant does.
func (s *Store) CreateTenant(ctx context.Context, t *Tenant, endpoints []*Endpoint) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		return s.createTenant(tx, t, endpoints, nil)
	})
}

// createTenant inserts t and endpoints; each endpoint is passed to after (if set) once it has its id.
func (s *Store) createTenant(tx *gorm.DB, t *Tenant, endpoints []*Endpoint, after func(*gorm.DB, *Endpoint) error) error {
	now := s.now().UTC()
	t.CreatedAt, t.UpdatedAt = now, now
	if err := tx.Create(t).Error; err != nil {
		return tenantWriteErr(err, t.SourceID)
	}
	for _, e := range endpoints {
		e.TenantID = t.ID
		e.fillDefaults()
		e.CreatedAt, e.UpdatedAt = now, now
		if err := tx.Create(e).Error; err != nil {
			return fmt.Errorf("insert endpoint: %w", err)
		}
		if after != nil {
			if err := after(tx, e); err != nil {
				return err
			}
		}
	}
	return nil
}

func tenantWriteErr(err error, sourceID string) error {
	if database.IsUniqueViolation(err) {
		return &problem.Error{Code: problem.CodeConflict, Message: fmt.Sprintf("a tenant with source_id %q already exists", sourceID),
			Details: []problem.Detail{{Field: "source_id", Reason: "is taken by another tenant"}}}
	}
	return fmt.Errorf("write tenant: %w", err)
}

// FindTenant returns the tenant with id, or problem.NotFound.
func (s *Store) FindTenant(ctx context.Context, id int64) (*Tenant, error) {
	return findTenant(ctx, s.db, id)
}

func findTenant(ctx context.Context, db *gorm.DB, id int64) (*Tenant, error) {
	var t Tenant
	err := db.WithContext(ctx).Where("id = ?", id).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("tenant")
	} else if err != nil {
		return nil, fmt.Errorf("find tenant %d: %w", id, err)
	}
	return &t, nil
}

// FindTenant returns the tenant with id through db (which may be a transaction), or problem.NotFound.
func FindTenant(ctx context.Context, db *gorm.DB, id int64) (*Tenant, error) {
	return findTenant(ctx, db, id)
}

// FindBySourceID returns the tenant routed by sourceID, or problem.NotFound.
// db may be a transaction.
func FindBySourceID(ctx context.Context, db *gorm.DB, sourceID string) (*Tenant, error) {
	var t Tenant
	err := db.WithContext(ctx).Where("source_id = ?", sourceID).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("tenant")
	} else if err != nil {
		return nil, fmt.Errorf("find tenant by source id: %w", err)
	}
	return &t, nil
}

// UpdateTenant applies u to tenant id and returns the result. Invalid
// values are problem.Invalid, a taken sourceId problem.Conflict. Changing
// the status this way does not release held deliveries: use Editor.Resume.
func (s *Store) UpdateTenant(ctx context.Context, id int64, u TenantUpdate) (*Tenant, error) {
	return s.updateTenant(ctx, id, u, nil)
}

// updateTenant applies u; seal (nil: secrets refused) stores the plaintext secrets of u onto t.
func (s *Store) updateTenant(ctx context.Context, id int64, u TenantUpdate, seal func(*Tenant, TenantUpdate) error) (*Tenant, error) {
	if seal == nil && (u.InboundSecret != nil || u.BoooplyAPIKey != nil) {
		return nil, errNoKey("inbound_secret")
	}
	var out *Tenant
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, "tenants", id, database.LockForChange); err != nil {
			return err
		}
		t, err := findTenant(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := u.apply(t); err != nil {
			return err
		}
		if seal != nil {
			if err := seal(t, u); err != nil {
				return err
			}
		}
		t.UpdatedAt = s.now().UTC()
		if err := tx.Select("*").Omit("created_at").Save(t).Error; err != nil {
			return tenantWriteErr(err, t.SourceID)
		}
		out = t
		return nil
	})
	return out, err
}

// DeleteTenant removes a tenant that never received an event, with its
// endpoints. A tenant with history is refused (problem.Conflict): disable it
// instead, so its events and deliveries stay on record.
func (s *Store) DeleteTenant(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := database.LockRow(tx, "tenants", id, database.LockForDelete); err != nil {
			return err
		}
		if _, err := findTenant(ctx, tx, id); err != nil {
			return err
		}
		var n int64
		if err := tx.Table("events").Where("tenant_id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("count events of tenant %d: %w", id, err)
		}
		if n > 0 {
			return problem.Conflict(fmt.Sprintf("tenant has %d events on record; disable it instead of deleting it", n))
		}
		if err := tx.Where("id = ?", id).Delete(&Tenant{}).Error; err != nil {
			return fmt.Errorf("delete tenant %d: %w", id, err)
		}
		return nil
	})
}

// ListEndpoints returns the tenant's endpoints, oldest first. db may be a transaction.
func ListEndpoints(ctx context.Context, db *gorm.DB, tenantID int64) ([]Endpoint, error) {
	var out []Endpoint
	if err := db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list endpoints of tenant %d: %w", tenantID, err)
	}
	return out, nil
}

// ListEndpoints returns the tenant's endpoints, oldest first.
func (s *Store) ListEndpoints(ctx context.Context, tenantID int64) ([]Endpoint, error) {
	return ListEndpoints(ctx, s.db, tenantID)
}

// FindEndpoint returns the tenant's endpoint id, or problem.NotFound.
func (s *Store) FindEndpoint(ctx context.Context, tenantID, id int64) (*Endpoint, error) {
	return findEndpoint(ctx, s.db, tenantID, id)
}

func findEndpoint(ctx context.Context, db *gorm.DB, tenantID, id int64) (*Endpoint, error) {
	var e Endpoint
	err := db.WithContext(ctx).Where("tenant_id = ? AND id = ?", tenantID, id).First(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("endpoint")
	} else if err != nil {
		return nil, fmt.Errorf("find endpoint %d: %w", id, err)
	}
	return &e, nil
}
