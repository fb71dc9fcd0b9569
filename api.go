package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/secrets"
)

// openAPIDoc is the hand-written OpenAPI 3 description of /api/v1.
// TestOpenAPIMatchesRoutes keeps it and the mounted routes in step.
//
//go:embed openapi.json
var openAPIDoc []byte

// apiDeps is what the /api/v1 handlers need; each package's dependencies
// are added here as it lands.
type apiDeps struct {
	gate *auth.Service
}

// mountAPI mounts every package's /api/v1 routes on api, which is already
// behind the gate (see mountGate).
func mountAPI(api fiber.Router, d apiDeps) {
	auth.Routes(api, d.gate)
}

// mountGate puts the one authentication gate (sessions, API tokens, CSRF)
// in front of /api/v1 and the UI prefix /admin, serves the OpenAPI document
// and the first-run setup endpoints, and returns the /api/v1 group for
// mountAPI. Every /api/v1 route is authenticated: there is no
// unauthenticated mode.
func mountGate(app *fiber.App, gate *auth.Service) fiber.Router {
	app.Get("/api/v1/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(openAPIDoc)
	})
	auth.SetupRoutes(app, gate)
	app.Use("/admin", gate.Middleware())
	return app.Group("/api/v1", gate.Middleware())
}

// newGate builds the auth service and prepares the first account: the
// admin from SWITCHBOARD_ADMIN_EMAIL/_PASSWORD, or a one-time setup link in
// the log when there are no users yet.
func newGate(ctx context.Context, db *database.DB, keyring *secrets.Keyring, previous []secrets.Key, cfg Config, log *slog.Logger) (*auth.Service, error) {
	old := make([]*secrets.Keyring, len(previous))
	for i, k := range previous {
		old[i] = secrets.NewKeyring(k)
	}
	gate := auth.NewService(db.Gorm, auth.NewKeys(keyring, old...), log, strings.HasPrefix(cfg.PublicURL, "https://"))
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
