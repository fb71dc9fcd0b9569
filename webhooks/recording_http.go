package webhooks

import (
	"errors"
	"log/slog"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// RecordingHandler serves stable recording links and their revocation.
type RecordingHandler struct {
	links *RecordingLinks
	log   *slog.Logger
}

// NewRecordingHandler returns the handler.
func NewRecordingHandler(links *RecordingLinks, log *slog.Logger) *RecordingHandler {
	return &RecordingHandler{links: links, log: log}
}

// RecordingRoutes mounts GET /r/:token (no sign-in: the token is the
// capability).
func RecordingRoutes(r fiber.Router, h *RecordingHandler) {
	r.Get("/r/:token", h.handleRecordingRedirect)
}

// RecordingAdminRoutes mounts the revocation on the /api/v1 group (admin only).
func RecordingAdminRoutes(api fiber.Router, h *RecordingHandler) {
	api.Delete("/recording-links/:id", h.handleRecordingLinkRevoke)
}

func (h *RecordingHandler) handleRecordingRedirect(c *fiber.Ctx) error {
	target, err := h.links.FreshURL(c.UserContext(), c.Params("token"))
	switch {
	case errors.Is(err, errKeyRefused):
		// Every link of the tenant fails until an admin stores a current key.
		h.log.Error("Boooply refused a tenant's organization API key; store a current one.", "error", err)
		return problem.Unavailable("Boooply refused this organization's API key; ask the gateway's administrator to update it", 0)
	case errors.Is(err, errRecordingGone):
		h.log.Warn("Boooply no longer has a recording.", "error", err)
		return problem.NotFound("recording")
	case errors.Is(err, errUpstream):
		h.log.Warn("Boooply did not give a fresh recording URL.", "error", err)
		return problem.Unavailable("the recording service did not answer; try again shortly", 30)
	case err != nil:
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(target, fiber.StatusFound)
}

func (h *RecordingHandler) handleRecordingLinkRevoke(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.NotFound("recording link")
	}
	if err := h.links.Revoke(c.UserContext(), id); err != nil {
		return err
	}
	if err := auditAction(c, "recording_link.revoke", tenantOf(c.UserContext(), h.links.db, "recording_links", id), "recording_link", id, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
