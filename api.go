package main

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// mountAPI mounts the JSON API under /api/v1. Until real authentication
// lands it is mounted only with --insecure-local-api, every caller being a
// local admin.
func mountAPI(app *fiber.App, cfg Config, svc *webhooks.Service, store *webhooks.Store, log *slog.Logger) {
	if !cfg.InsecureLocalAPI {
		return
	}
	log.Warn("The JSON API at /api/v1 is open to anyone who can reach the listener (--insecure-local-api). Use it only on a trusted machine.")
	api := app.Group("/api/v1", auth.LocalAdmin())
	webhooks.DeliveryRoutes(api, webhooks.NewDeliveriesHandler(store, svc))
}
