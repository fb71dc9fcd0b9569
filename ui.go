package main

import (
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/static"
)

// mountStatic serves the admin UI's embedded assets under /static/ with
// long-lived caching for content-hashed names (static.URL builds them).
func mountStatic(app *fiber.App) {
	app.Get(static.Prefix+"*", func(c *fiber.Ctx) error {
		a, immutable, ok := static.Lookup(c.Params("*"))
		if !ok {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderContentType, a.ContentType)
		c.Set(fiber.HeaderCacheControl, static.CacheControl(immutable))
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return c.Send(a.Body)
	})
}
