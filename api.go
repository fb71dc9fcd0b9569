package main

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// mountAPI mounts the JSON API routes of every package on api (/api/v1,
// behind authentication).
func mountAPI(api fiber.Router, db *gorm.DB) {
	routing.Routes(api, routing.NewHandler(routing.NewStore(db), webhooks.Sample, storedEvents(db)))
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
