package main

import (
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// mountSupportPages mounts support's screens on admin (the /admin group,
// behind the gate and auth's PageGate): dashboard, deliveries, delivery
// detail with retry and replay, events and unrouted.
func mountSupportPages(admin fiber.Router, d apiDeps) {
	webhooks.PageRoutes(admin, webhooks.NewPages(webhooks.NewStore(d.db.Gorm), d.svc, auth.Meta))
	tenants.UnroutedRoutes(admin, tenants.NewUnroutedPages(tenants.NewStore(d.db.Gorm), d.svc, auth.Meta))
}
