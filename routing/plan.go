// Package routing turns one inbound event into the deliveries it must cause:
// which tenant owns it (by sourceId) and which of that tenant's endpoints
// subscribed to its event type.
package routing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
)

// Event is what routing needs to know of an inbound event.
type Event struct {
	Type     string
	SourceID *string // nil for interviews created in Boooply's dashboard
	// ForwardByDefault is the event type's default for endpoints that chose no subscriptions.
	ForwardByDefault bool
}

// Plan is the routing decision for one event. A nil TenantID means the event
// is unrouted (no sourceId, or no tenant for it yet) and is held.
type Plan struct {
	TenantID  *int64
	Tenant    *tenants.Tenant
	Endpoints []tenants.Endpoint
}

// Planner decides plans. It reads through the handle it is given, so the
// decision is part of the caller's transaction.
type Planner struct{}

// NewPlanner returns a planner.
func NewPlanner() *Planner { return &Planner{} }

// Plan routes ev. db may be a transaction (ingest plans inside its own).
// A disabled tenant owns the event but gets no deliveries.
func (p *Planner) Plan(ctx context.Context, db *gorm.DB, ev Event) (Plan, error) {
	if ev.SourceID == nil || *ev.SourceID == "" {
		return Plan{}, nil
	}
	t, err := tenants.FindBySourceID(ctx, db, *ev.SourceID)
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Code == problem.CodeNotFound {
		return Plan{}, nil
	} else if err != nil {
		return Plan{}, fmt.Errorf("route source %q: %w", *ev.SourceID, err)
	}
	plan := Plan{TenantID: &t.ID, Tenant: t}
	if t.Status == tenants.StatusDisabled {
		return plan, nil
	}
	eps, err := tenants.ListEndpoints(ctx, db, t.ID)
	if err != nil {
		return Plan{}, err
	}
	for _, e := range eps {
		if e.Enabled && e.Subscribes(ev.Type, ev.ForwardByDefault) {
			plan.Endpoints = append(plan.Endpoints, e)
		}
	}
	return plan, nil
}
