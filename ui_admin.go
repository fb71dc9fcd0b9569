package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// mountAdminPages mounts the admin's pages: sign-in and sign-out (auth),
// tenants, endpoints, mappings and sources. They live under /admin, behind the gate that
// mountGate put there, plus auth's PageGate (sign-in redirect, security
// headers, HTML error pages) and textGuard (a 400 error page for a NUL
// character or invalid UTF-8). It returns the /admin group for the other pages.
func mountAdminPages(app *fiber.App, d apiDeps) fiber.Router {
	admin := app.Group("/admin", d.gate.PageGate(), textGuard)
	d.gate.SetTenants(tenantDirectory{store: tenants.NewStore(d.db.Gorm)})
	auth.PageRoutes(app, admin, d.gate)
	editor := routing.NewHandler(routing.NewStore(d.db.Gorm), webhooks.Sample, storedEvents(d.db.Gorm))
	routing.PageRoutes(admin, editor.WithRecentEvents(recentEvents(d.db.Gorm)))
	if d.sources != nil {
		webhooks.SourcesPageRoutes(admin, d.sources)
	}
	tenants.PageRoutes(admin, tenants.NewPages(newEditor(d.db, d.ring, d.guard, d.cache, d.keys), d.held, lastDeliveries(d.db.Gorm)))
	return admin
}

// lastDeliveries reads each tenant's latest delivery for the tenant list.
func lastDeliveries(db *gorm.DB) tenants.LastDeliveries {
	return func(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
		out := map[int64]time.Time{}
		if len(ids) == 0 {
			return out, nil
		}
		var rows []struct {
			TenantID int64
			ID       int64
		}
		// The newest delivery per tenant by id (indexed), then its time.
		err := db.WithContext(ctx).Table("deliveries").Select("tenant_id, MAX(id) AS id").
			Where("tenant_id IN ?", ids).Group("tenant_id").Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("last deliveries: %w", err)
		}
		for _, r := range rows {
			var at struct{ CreatedAt time.Time }
			if err := db.WithContext(ctx).Table("deliveries").Select("created_at").Where("id = ?", r.ID).Scan(&at).Error; err != nil {
				return nil, fmt.Errorf("last delivery of tenant %d: %w", r.TenantID, err)
			}
			out[r.TenantID] = at.CreatedAt
		}
		return out, nil
	}
}

// recentEvents lists a tenant's latest events for the mapping preview picker.
func recentEvents(db *gorm.DB) routing.RecentEventsFunc {
	return func(ctx context.Context, tenantID int64, limit int) ([]routing.RecentEvent, error) {
		var out []routing.RecentEvent
		err := db.WithContext(ctx).Table("events").Select("id, event_type, meeting_code, received_at").
			Where("tenant_id = ?", tenantID).Order("id DESC").Limit(limit).Scan(&out).Error
		if err != nil {
			return nil, fmt.Errorf("recent events of tenant %d: %w", tenantID, err)
		}
		return out, nil
	}
}

// tenantDirectory finds tenants for the users pages' scope picker.
type tenantDirectory struct{ store *tenants.Store }

func (d tenantDirectory) FirstTenants(ctx context.Context, limit int) ([]auth.TenantName, error) {
	ts, err := d.store.SuggestTenants(ctx, nil, "", limit)
	return tenantNameList(ts), err
}

func (d tenantDirectory) TenantsByID(ctx context.Context, ids []int64) ([]auth.TenantName, error) {
	var out []auth.TenantName
	for start := 0; start < len(ids); start += tenants.MaxPageSize { // a page per chunk: none is left out
		part := ids[start:min(start+tenants.MaxPageSize, len(ids))]
		ts, _, err := d.store.ListTenants(ctx, tenants.TenantFilter{TenantIDs: part, Limit: tenants.MaxPageSize})
		if err != nil {
			return nil, err
		}
		out = append(out, tenantNameList(ts)...)
	}
	return out, nil
}

func (d tenantDirectory) MatchTenants(ctx context.Context, text string, limit int) ([]auth.TenantName, error) {
	ts, err := d.store.MatchTenants(ctx, nil, text, limit)
	return tenantNameList(ts), err
}

func tenantNameList(ts []tenants.Tenant) []auth.TenantName {
	out := make([]auth.TenantName, len(ts))
	for i, t := range ts {
		out[i] = auth.TenantName{ID: t.ID, Name: t.Name, SourceID: t.SourceID}
	}
	return out
}
