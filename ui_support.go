package main

import (
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/static"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/views"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// mountSupportPages mounts support's screens on admin (the /admin group,
// already behind gate.Middleware()): dashboard, deliveries, delivery
// detail with retry and replay, events and unrouted.
func mountSupportPages(admin fiber.Router, db *database.DB, svc *webhooks.Service, gate *auth.Service) {
	meta := pageMeta(gate)
	webhooks.PageRoutes(admin, webhooks.NewPages(webhooks.NewStore(db.Gorm), svc, meta))
	tenants.UnroutedRoutes(admin, tenants.NewUnroutedPages(tenants.NewStore(db.Gorm), svc, meta))
}

// pageMeta builds what every page's layout needs from the request: the
// signed-in user and what their role may do, the session's CSRF token and
// the content-hashed asset URLs.
func pageMeta(gate *auth.Service) func(c *fiber.Ctx, title, active string) views.Meta {
	assets := views.Assets{CSS: static.URL("app.css"), HTMX: static.URL("htmx.min.js"), JS: static.URL("app.js"), Icon: static.URL("favicon.svg")}
	return func(c *fiber.Ctx, title, active string) views.Meta {
		m := views.Meta{Title: title, Active: active, CSRF: gate.CSRFToken(c), Assets: assets, Version: version}
		if p := auth.FromCtx(c); p != nil {
			name := p.Name
			if name == "" {
				name = p.Email
			}
			m.User = &views.User{Name: name, Email: p.Email, Role: string(p.Role),
				CanEdit: p.Can(auth.PermEditConfig), CanManage: p.Can(auth.PermManageUsers)}
		}
		return m
	}
}
