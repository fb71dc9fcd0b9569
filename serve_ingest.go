package main

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// ingestAPI is what the ingest side adds to /api/v1.
type ingestAPI struct {
	sources    *webhooks.SourcesHandler
	recordings *webhooks.RecordingHandler
	keys       *webhooks.Keys // the tenants editor reloads them when a tenant's inbound secret changes
}

// mountIngest wires the ingest side: inbound secrets (loaded now, reloaded
// in the background until ctx ends), group commit, the webhook route and
// recording links. It returns the handlers mountAPI puts behind the gate.
func mountIngest(ctx context.Context, app *fiber.App, db *database.DB, keyring *secrets.Keyring, links *webhooks.RecordingLinks, svc *webhooks.Service, cfg Config, log *slog.Logger) (ingestAPI, error) {
	keys := webhooks.NewKeys(db.Gorm, keyring, cfg.WebhookSecrets, log)
	if err := keys.Reload(ctx); err != nil {
		log.Warn("Could not load inbound sources yet; retrying in the background.", "error", err)
	}
	if !keys.Configured() {
		log.Error("No inbound secret: set BOOOPLY_WEBHOOK_SECRET or add a source; every inbound webhook is refused with 401 until then.")
	}
	go keys.Run(ctx, cfg.SourcesReload)
	if cfg.IngestBatch > 1 {
		writers := cfg.IngestWriters
		if db.Dialect == database.SQLite {
			writers = 1 // one writer anyway; more would only queue on the connection
		}
		svc.EnableBatching(cfg.IngestBatch, writers)
	}
	admission := cfg.PushBack.admission()
	svc.LimitIngest(admission)
	go admission.Run(ctx, db.Gorm, log)
	webhooks.Routes(app, webhooks.NewHandler(svc, keys, cfg.InboundBearer, log))
	recordings := webhooks.NewRecordingHandler(links, log)
	webhooks.RecordingRoutes(app, recordings)
	return ingestAPI{sources: webhooks.NewSourcesHandler(webhooks.NewSourceStore(db.Gorm, keyring), keys), recordings: recordings, keys: keys}, nil
}
