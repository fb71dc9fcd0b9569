package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// serverParts are the running pieces mountRoutes wires into the app.
type serverParts struct {
	db       *database.DB
	ring     *secrets.Keyring
	guard    *egress.Guard
	cache    *tenants.Cache // may be nil (every lookup reads the database)
	gate     *auth.Service
	links    *webhooks.RecordingLinks
	svc      *webhooks.Service
	registry *prometheus.Registry
}

// mountRoutes registers every route serve answers: health and readiness,
// ingest and recording links, metrics, the gated /api/v1 and /admin, sign-in
// and setup, and the static assets. It is the one list of routes:
// TestRouteTable walks what it registers and fails on a route without an
// access decision. The ingest side's background work runs until ctx ends.
func mountRoutes(ctx context.Context, app *fiber.App, p serverParts, cfg Config, log *slog.Logger) error {
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", func(c *fiber.Ctx) error {
		rctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := p.db.Ready(rctx); err != nil {
			log.Warn("Not ready.", "error", err)
			return problem.Unavailable("not ready: database unreachable or migrations pending", 5)
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
	ingest, err := mountIngest(ctx, app, p.db, p.ring, p.links, p.svc, cfg, log)
	if err != nil {
		return err
	}
	mountMetrics(app, p.registry)
	deps := apiDeps{db: p.db, ring: p.ring, guard: p.guard, cache: p.cache, held: p.svc, svc: p.svc, gate: p.gate,
		sources: ingest.sources, recordings: ingest.recordings, keys: ingest.keys}
	mountAPI(mountGate(app, p.gate), deps)
	mountSupportPages(mountAdminPages(app, deps), deps)
	mountStatic(app)
	return nil
}
