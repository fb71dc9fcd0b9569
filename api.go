package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/problem"
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
	gate  *auth.Service

	sources    *webhooks.SourcesHandler
	recordings *webhooks.RecordingHandler
	keys       *webhooks.Keys // inbound secrets; nil outside serve
}

// mountAPI mounts every package's /api/v1 routes on api, which is already
// behind the gate (see mountGate).
func mountAPI(api fiber.Router, d apiDeps) {
	auth.Routes(api, d.gate)
	tenants.Routes(api, tenants.NewHandler(newEditor(d.db, d.ring, d.guard, d.cache, d.keys), d.held))
	webhooks.DeliveryRoutes(api, webhooks.NewDeliveriesHandler(webhooks.NewStore(d.db.Gorm), d.svc))
	routing.Routes(api, routing.NewHandler(routing.NewStore(d.db.Gorm), webhooks.Sample, storedEvents(d.db.Gorm)))
	webhooks.SourcesRoutes(api, d.sources)
	webhooks.RecordingAdminRoutes(api, d.recordings)
	webhooks.EraseRoutes(api, webhooks.NewEraseHandler(webhooks.NewEraser(d.db.Gorm)))
}

// newEditor builds the tenants editor. After each write the sourceId cache
// refreshes and the inbound secrets reload (a tenant's own secret applies to
// the next webhook); either may be nil (the CLI has neither).
func newEditor(db *database.DB, ring *secrets.Keyring, guard *egress.Guard, cache *tenants.Cache, keys *webhooks.Keys) *tenants.Editor {
	store := tenants.NewStore(db.Gorm)
	if cache != nil || keys != nil {
		store.OnChange(func() {
			if cache != nil {
				cache.Changed()
			}
			if keys != nil {
				keys.Changed()
			}
		})
	}
	return tenants.NewEditor(store, ring, guard, eventTypeNames()).
		CheckURLTemplates(mustURLTemplates()).
		DefaultEventTypes(defaultEventTypeNames()).
		NamedOnlyEventTypes(namedOnlyEventTypeNames())
}

// mustURLTemplates checks endpoint URL placeholders against the embedded
// Boooply samples. It panics only on a broken build: the samples are
// embedded and TestEventTypes decodes each one.
func mustURLTemplates() *routing.URLTemplates {
	t, err := routing.NewURLTemplates(webhooks.Sample, webhooks.SampleTypes())
	if err != nil {
		panic(err)
	}
	return t
}

func eventTypeNames() []string {
	var out []string
	for _, et := range webhooks.EventTypes() {
		out = append(out, et.Name)
	}
	return out
}

// defaultEventTypeNames are the event types an endpoint without
// subscriptions receives.
func defaultEventTypeNames() []string {
	var out []string
	for _, et := range webhooks.EventTypes() {
		if et.ForwardByDefault {
			out = append(out, et.Name)
		}
	}
	return out
}

// namedOnlyEventTypeNames are the event types "*" does not match.
func namedOnlyEventTypeNames() []string {
	var out []string
	for _, et := range webhooks.EventTypes() {
		if et.NamedOnly {
			out = append(out, et.Name)
		}
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
		out := &routing.StoredEvent{TenantID: e.TenantID, EventType: e.EventType, MeetingCode: e.MeetingCode,
			Revision: e.Revision, Body: e.Body, VideoURLExpiresAt: e.VideoURLExpiresAt}
		if e.TenantID == nil && e.SourceID != nil {
			t, err := tenants.FindBySourceID(ctx, db, *e.SourceID)
			if err == nil {
				out.HeldFor = &t.ID
			} else if p, ok := problem.As(err); !ok || p.Code != problem.CodeNotFound {
				return nil, err
			}
		}
		return out, nil
	}
}

// openAPIDoc is the hand-written OpenAPI 3 description of /api/v1.
// TestOpenAPIMatchesRoutes keeps it and the mounted routes in step.
//
//go:embed openapi.json
var openAPIDoc []byte

// mountGate puts the one authentication gate (sessions, API tokens, CSRF)
// in front of /api/v1 and the UI prefix /admin, serves the OpenAPI document
// and the first-run setup endpoints, and returns the /api/v1 group for
// mountAPI. Every /api/v1 route is authenticated: there is no
// unauthenticated mode. textGuard refuses NUL characters and invalid UTF-8
// on /api/v1, /login and /setup (mountAdminPages adds it to /admin).
func mountGate(app *fiber.App, gate *auth.Service) fiber.Router {
	app.Get("/api/v1/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(openAPIDoc)
	})
	app.Use([]string{auth.LoginPath, "/setup"}, pageTextGuard)
	auth.SetupRoutes(app, gate)
	app.Use("/admin", gate.PageMiddleware())
	return app.Group("/api/v1", noStore, textGuard, gate.Middleware())
}

// noStore keeps every /api/v1 answer out of caches: they are one caller's
// view, and some carry a secret shown once (signing secrets on create,
// import and rotate; tokens).
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// newGate builds the auth service and prepares the first account: the
// admin from SWITCHBOARD_ADMIN_EMAIL/_PASSWORD, or a one-time setup link in
// the log when there are no users yet.
func newGate(ctx context.Context, db *database.DB, keyring *secrets.Keyring, previous []secrets.Key, cfg Config, log *slog.Logger) (*auth.Service, error) {
	old := make([]*secrets.Keyring, len(previous))
	for i, k := range previous {
		old[i] = secrets.NewKeyring(k)
	}
	gate := auth.NewService(db.Gorm, auth.NewKeys(keyring, old...), log, cfg.PublicURL)
	if cfg.NoMigrate && db.Ready(ctx) != nil {
		return gate, nil // tables may not exist yet; the setup link waits for the next start
	}
	token, err := gate.BootstrapAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
	if err != nil {
		return nil, err
	}
	if token != "" {
		base := cfg.PublicURL
		if base == "" {
			base = "http://" + cfg.Listen
		}
		log.Warn("No accounts yet. Open this one-time link within an hour to create the first admin (or set SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD).",
			"setup_url", base+"/setup?token="+token)
	} else if cfg.AdminEmail != "" {
		log.Info("Accounts are ready.", "admin_email", auth.NormalizeEmail(cfg.AdminEmail))
	}
	return gate, nil
}

// parsePreviousKeys parses SWITCHBOARD_PREVIOUS_SECRET_KEYS.
func parsePreviousKeys(raw []string) ([]secrets.Key, error) {
	out := make([]secrets.Key, 0, len(raw))
	for i, s := range raw {
		k, err := secrets.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("SWITCHBOARD_PREVIOUS_SECRET_KEYS item %d: %w", i+1, err)
		}
		out = append(out, k)
	}
	return out, nil
}
