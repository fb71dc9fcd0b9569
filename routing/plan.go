// Package routing turns one inbound event into the deliveries it must cause:
// which tenant owns it (by sourceId) and which of that tenant's endpoints
// subscribed to its event type.
package routing

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
)

// Event is what routing needs to know of an inbound event.
type Event struct {
	Type     string
	SourceID *string // nil for interviews created in Boooply's dashboard
	// TypeRule is how the event type meets endpoints that don't name it
	// (the default subscription, and whether "*" matches it).
	tenants.TypeRule
}

// Plan is the routing decision for one event. A nil TenantID means the event
// is unrouted (no sourceId, or no tenant for it yet) and is held.
type Plan struct {
	TenantID  *int64
	Tenant    *tenants.Tenant
	Endpoints []tenants.Endpoint
	// Held is set when the tenant is paused: the deliveries to Endpoints are
	// recorded as held, without queue jobs, and sent when it resumes.
	Held bool
}

// Planner decides plans. With a cache it reads tenants from memory and
// falls back to the caller's handle on a miss; without one it always reads
// through the handle, so the decision is part of the caller's transaction.
type Planner struct {
	cache *tenants.Cache
	// defaultTenant, when set, owns events without a sourceId: a sourceId or a tenant id.
	defaultTenant string
}

// NewPlanner returns a planner that reads tenants from the database.
func NewPlanner() *Planner { return &Planner{} }

// NewCachedPlanner returns a planner that reads tenants from cache first.
// defaultTenant ("" for none) is the sourceId or id of the tenant that owns
// events arriving without a sourceId (SWITCHBOARD_DEFAULT_TENANT).
func NewCachedPlanner(cache *tenants.Cache, defaultTenant string) *Planner {
	return &Planner{cache: cache, defaultTenant: defaultTenant}
}

// Plan routes ev. db may be a transaction (ingest plans inside its own).
// A disabled tenant owns the event but gets no deliveries.
func (p *Planner) Plan(ctx context.Context, db *gorm.DB, ev Event) (Plan, error) {
	var r *tenants.Routed
	var err error
	if ev.SourceID == nil || *ev.SourceID == "" {
		if p.defaultTenant == "" {
			return Plan{}, nil
		}
		r, err = p.defaultRouted(ctx, db)
	} else {
		r, err = p.bySource(ctx, db, *ev.SourceID)
	}
	if err != nil || r == nil {
		return Plan{}, err
	}
	return decide(r, ev), nil
}

// PlanTenant routes ev to tenantID regardless of its sourceId (delivering
// held events), reading through db.
func (p *Planner) PlanTenant(ctx context.Context, db *gorm.DB, tenantID int64, ev Event) (Plan, error) {
	t, err := tenants.FindTenant(ctx, db, tenantID)
	if err != nil {
		return Plan{}, err
	}
	r, err := withEndpoints(ctx, db, t)
	if err != nil {
		return Plan{}, err
	}
	return decide(r, ev), nil
}

func decide(r *tenants.Routed, ev Event) Plan {
	t := r.Tenant
	plan := Plan{TenantID: &t.ID, Tenant: &t}
	if t.Status == tenants.StatusDisabled {
		return plan
	}
	plan.Held = t.Status == tenants.StatusPaused
	for _, e := range r.Endpoints {
		if e.Enabled && e.Subscribes(ev.Type, ev.TypeRule) {
			plan.Endpoints = append(plan.Endpoints, e)
		}
	}
	return plan
}

// bySource returns the tenant of sourceID (nil when none), from the cache or, on a miss, from db.
func (p *Planner) bySource(ctx context.Context, db *gorm.DB, sourceID string) (*tenants.Routed, error) {
	if p.cache != nil {
		if r, ok := p.cache.BySourceID(sourceID); ok {
			return r, nil
		}
	}
	t, err := tenants.FindBySourceID(ctx, db, sourceID)
	if isNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("route source %q: %w", sourceID, err)
	}
	return withEndpoints(ctx, db, t)
}

// defaultRouted resolves the default tenant: a sourceId first, then a numeric id.
func (p *Planner) defaultRouted(ctx context.Context, db *gorm.DB) (*tenants.Routed, error) {
	r, err := p.bySource(ctx, db, p.defaultTenant)
	if r != nil || err != nil {
		return r, err
	}
	id, perr := strconv.ParseInt(p.defaultTenant, 10, 64)
	if perr != nil {
		return nil, nil
	}
	if p.cache != nil {
		if r, ok := p.cache.ByID(id); ok {
			return r, nil
		}
	}
	t, err := tenants.FindTenant(ctx, db, id)
	if isNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("route to default tenant: %w", err)
	}
	return withEndpoints(ctx, db, t)
}

func withEndpoints(ctx context.Context, db *gorm.DB, t *tenants.Tenant) (*tenants.Routed, error) {
	eps, err := tenants.ListEndpoints(ctx, db, t.ID)
	if err != nil {
		return nil, err
	}
	return &tenants.Routed{Tenant: *t, Endpoints: eps}, nil
}

func isNotFound(err error) bool {
	var pe *problem.Error
	return errors.As(err, &pe) && pe.Code == problem.CodeNotFound
}
