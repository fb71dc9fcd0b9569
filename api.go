package main

import (
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// mountAPI mounts the JSON admin API on api (the /api/v1 group, behind
// authentication).
func mountAPI(api fiber.Router, sources *webhooks.SourcesHandler, recordings *webhooks.RecordingHandler) {
	webhooks.SourcesRoutes(api, sources)
	webhooks.RecordingAdminRoutes(api, recordings)
}
