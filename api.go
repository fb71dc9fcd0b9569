package main

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// apiDeps is what the JSON API handlers need.
type apiDeps struct {
	db    *database.DB
	ring  *secrets.Keyring
	guard *egress.Guard
	cache *tenants.Cache
	held  tenants.HeldEvents
	svc   *webhooks.Service
}

// mountAPI mounts every package's /api/v1 routes on api, which already
// authenticates (auth.LocalAdmin until accounts exist).
func mountAPI(api fiber.Router, d apiDeps) {
	tenants.Routes(api, tenants.NewHandler(newEditor(d.db, d.ring, d.guard, d.cache), d.held))
	webhooks.DeliveryRoutes(api, webhooks.NewDeliveriesHandler(webhooks.NewStore(d.db.Gorm), d.svc))
	routing.Routes(api, routing.NewHandler(routing.NewStore(d.db.Gorm), webhooks.Sample, storedEvents(d.db.Gorm)))
}

// newEditor builds the tenants editor; cache (may be nil) refreshes at once after each write.
func newEditor(db *database.DB, ring *secrets.Keyring, guard *egress.Guard, cache *tenants.Cache) *tenants.Editor {
	store := tenants.NewStore(db.Gorm)
	if cache != nil {
		store.OnChange(cache.Changed)
	}
	return tenants.NewEditor(store, ring, guard, eventTypeNames())
}

func eventTypeNames() []string {
	var out []string
	for _, et := range webhooks.EventTypes() {
		out = append(out, et.Name)
	}
	return out
}

// startTenantCache loads the sourceId cache and keeps it fresh until stop is called.
func startTenantCache(ctx context.Context, db *database.DB, log *slog.Logger) (*tenants.Cache, func()) {
	cache := tenants.NewCache(db.Gorm, tenants.DefaultCachePoll, log)
	if err := cache.Refresh(ctx); err != nil {
		// Run retries; until then every lookup falls back to the database.
		log.Warn("Tenant cache not loaded yet; routing reads the database meanwhile.", "error", err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); cache.Run(cctx) }()
	return cache, func() { cancel(); <-done }

}

// storedEvents lets mapping previews read stored events without routing
// importing webhooks.
func storedEvents(db *gorm.DB) routing.EventFunc {
	store := webhooks.NewStore(db)
	return func(ctx context.Context, id int64) (*routing.StoredEvent, error) {
		e, err := store.FindEvent(ctx, id)
		if err != nil {
			return nil, err
		}
		return &routing.StoredEvent{TenantID: e.TenantID, EventType: e.EventType, MeetingCode: e.MeetingCode,
			Revision: e.Revision, Body: e.Body}, nil
	}
}
