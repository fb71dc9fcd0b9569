package webhooks

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// SourcesHandler serves /api/v1/sources: inbound sources and their secrets.
// Every route is admin-only (auth.PermEditConfig); a secret is shown once,
// in the answer that created it.
type SourcesHandler struct {
	store *SourceStore
	keys  *Keys
}

// NewSourcesHandler returns the handler; keys is reloaded after every change.
func NewSourcesHandler(store *SourceStore, keys *Keys) *SourcesHandler {
	return &SourcesHandler{store: store, keys: keys}
}

// SourcesRoutes mounts the sources API on r (the /api/v1 group).
func SourcesRoutes(r fiber.Router, h *SourcesHandler) {
	r.Get("/sources", h.handleSourceIndex)
	r.Post("/sources", h.handleSourceCreate)
	r.Get("/sources/:id", h.handleSourceShow)
	r.Patch("/sources/:id", h.handleSourceUpdate)
	r.Delete("/sources/:id", h.handleSourceDelete)
	r.Post("/sources/:id/secrets", h.handleSourceSecretRotate)
	r.Delete("/sources/:id/secrets/:number", h.handleSourceSecretDelete)
}

// sourceCreated is the one answer that carries a plaintext secret.
type sourceCreated struct {
	Source *Source `json:"source"`
	Secret string  `json:"secret"`
	Note   string  `json:"note"`
}

const shownOnce = "the secret is shown only now; enter it in Boooply's webhook settings"

func (h *SourcesHandler) handleSourceIndex(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	out, err := h.store.ListSources(c.UserContext())
	if err != nil {
		return err
	}
	// items, as every other list answers; sources is the name it had
	// before, kept for existing clients.
	return c.JSON(fiber.Map{"items": out, "sources": out})
}

func (h *SourcesHandler) handleSourceCreate(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	var in struct {
		Name     string `json:"name"`
		Platform string `json:"platform"`
		Secret   string `json:"secret"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	s := &Source{Name: in.Name, Platform: in.Platform}
	plain, err := h.store.CreateSource(c.UserContext(), s, in.Secret)
	if err != nil {
		return err
	}
	h.reload(c.UserContext())
	if err := auditSource(c, "source.create", s.ID, nil, s); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(sourceCreated{Source: s, Secret: plain, Note: shownOnce})
}

func (h *SourcesHandler) handleSourceShow(c *fiber.Ctx) error {
	id, err := h.sourceID(c)
	if err != nil {
		return err
	}
	s, err := h.store.FindSource(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(s)
}

func (h *SourcesHandler) handleSourceUpdate(c *fiber.Ctx) error {
	id, err := h.sourceID(c)
	if err != nil {
		return err
	}
	var u SourceUpdate
	if err := decodeBody(c, &u); err != nil {
		return err
	}
	before, err := h.store.FindSource(c.UserContext(), id)
	if err != nil {
		return err
	}
	s, err := h.store.UpdateSource(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	h.reload(c.UserContext())
	if err := auditSource(c, "source.update", id, before, s); err != nil {
		return err
	}
	return c.JSON(s)
}

func (h *SourcesHandler) handleSourceDelete(c *fiber.Ctx) error {
	id, err := h.sourceID(c)
	if err != nil {
		return err
	}
	before, err := h.store.FindSource(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.store.DeleteSource(c.UserContext(), id); err != nil {
		return err
	}
	h.reload(c.UserContext())
	if err := auditSource(c, "source.delete", id, before, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *SourcesHandler) handleSourceSecretRotate(c *fiber.Ctx) error {
	id, err := h.sourceID(c)
	if err != nil {
		return err
	}
	in := struct {
		Secret         string `json:"secret"`
		OverlapSeconds *int64 `json:"overlap_seconds"`
	}{}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	overlap := DefaultRotationOverlap
	if in.OverlapSeconds != nil {
		if overlap, err = overlapFromSeconds(*in.OverlapSeconds); err != nil {
			return err
		}
	}
	plain, err := h.store.RotateSecret(c.UserContext(), id, in.Secret, overlap)
	if err != nil {
		return err
	}
	h.reload(c.UserContext())
	s, err := h.store.FindSource(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := auditSource(c, "source.secret_add", id, nil, map[string]any{"overlap_seconds": int64(overlap / time.Second)}); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(sourceCreated{Source: s, Secret: plain, Note: shownOnce})
}

func (h *SourcesHandler) handleSourceSecretDelete(c *fiber.Ctx) error {
	if err := h.removeSecret(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// removeSecret deletes secret :number of source :id, applies it to this
// replica and records it: the API and the page share it.
func (h *SourcesHandler) removeSecret(c *fiber.Ctx) error {
	id, err := h.sourceID(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("number"))
	if err != nil || n <= 0 {
		return problem.NotFound("source secret")
	}
	if err := h.store.DeleteSecret(c.UserContext(), id, n); err != nil {
		return err
	}
	h.reload(c.UserContext())
	return auditSource(c, "source.secret_remove", id, nil, map[string]int{"number": n})
}

// sourceID checks the caller is an admin and parses :id.
func (h *SourcesHandler) sourceID(c *fiber.Ctx) (int64, error) {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound("source")
	}
	return id, nil
}

// auditSource records a source change by the request's principal (no
// tenant: sources are platform-wide). Source's JSON carries secret hints only
// under "secrets", which auth.Audit redacts whole.
func auditSource(c *fiber.Ctx, action string, id int64, before, after any) error {
	return auth.Audit(c, action, 0, "source:"+strconv.FormatInt(id, 10), before, after)
}

// reload applies a change to this replica at once; others pick it up at
// their next periodic reload. A failed reload keeps the old keys and is
// retried by that loop, so the change itself still succeeded.
func (h *SourcesHandler) reload(ctx context.Context) {
	_ = h.keys.Reload(ctx)
}
