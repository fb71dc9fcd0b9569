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

// Store reads and writes tenants and endpoints.
type Store struct {
	db  *gorm.DB
	now func() time.Time
}

// NewStore returns a store over db.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, now: time.Now}
}

// CreateTenant inserts t and its endpoints in one transaction and fills in
// their ids. Callers validate first. A taken sourceId is a problem.Conflict.
func (s *Store) CreateTenant(ctx context.Context, t *Tenant, endpoints []*Endpoint) error {
	now := s.now().UTC()
	t.CreatedAt, t.UpdatedAt = now, now
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			if database.IsUniqueViolation(err) {
				return problem.Conflict(fmt.Sprintf("a tenant with source_id %q already exists", t.SourceID))
			}
			return fmt.Errorf("insert tenant: %w", err)
		}
		for _, e := range endpoints {
			e.TenantID = t.ID
			e.fillDefaults()
			e.CreatedAt, e.UpdatedAt = now, now
			if err := tx.Create(e).Error; err != nil {
				return fmt.Errorf("insert endpoint: %w", err)
			}
		}
		return nil
	})
}

// ListTenants returns every tenant, oldest first.
func (s *Store) ListTenants(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	if err := s.db.WithContext(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// FindTenant returns the tenant with id, or problem.NotFound.
func (s *Store) FindTenant(ctx context.Context, id int64) (*Tenant, error) {
	var t Tenant
	err := s.db.WithContext(ctx).Where("id = ?", id).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("tenant")
	} else if err != nil {
		return nil, fmt.Errorf("find tenant %d: %w", id, err)
	}
	return &t, nil
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
	var e Endpoint
	err := s.db.WithContext(ctx).Where("tenant_id = ? AND id = ?", tenantID, id).First(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFound("endpoint")
	} else if err != nil {
		return nil, fmt.Errorf("find endpoint %d: %w", id, err)
	}
	return &e, nil
}
