package tenants

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// Handler serves the tenants, endpoints and unrouted-events JSON API.
type Handler struct {
	ed   *Editor
	held HeldEvents
}

// NewHandler returns the API handler. held delivers held events and releases paused deliveries.
func NewHandler(ed *Editor, held HeldEvents) *Handler {
	return &Handler{ed: ed, held: held}
}

// Routes mounts the API under r (the /api/v1 group).
func Routes(r fiber.Router, h *Handler) {
	r.Get("/tenants", h.handleTenantIndex)
	r.Post("/tenants", h.handleTenantCreate)
	r.Post("/tenants/import", h.handleTenantImport)
	r.Get("/tenants/:tenant", h.handleTenantShow)
	r.Patch("/tenants/:tenant", h.handleTenantUpdate)
	r.Delete("/tenants/:tenant", h.handleTenantDelete)
	r.Post("/tenants/:tenant/pause", h.handleTenantStatus(StatusPaused))
	r.Post("/tenants/:tenant/disable", h.handleTenantStatus(StatusDisabled))
	r.Post("/tenants/:tenant/resume", h.handleTenantResume)
	r.Post("/tenants/:tenant/deliver-held", h.handleTenantDeliverHeld)
	r.Get("/tenants/:tenant/held-log", h.handleTenantHeldLog)
	r.Get("/tenants/:tenant/endpoints", h.handleEndpointIndex)
	r.Post("/tenants/:tenant/endpoints", h.handleEndpointCreate)
	r.Get("/tenants/:tenant/endpoints/:endpoint", h.handleEndpointShow)
	r.Patch("/tenants/:tenant/endpoints/:endpoint", h.handleEndpointUpdate)
	r.Delete("/tenants/:tenant/endpoints/:endpoint", h.handleEndpointDelete)
	r.Post("/tenants/:tenant/endpoints/:endpoint/rotate-secret", h.handleEndpointRotate)
	r.Get("/unrouted", h.handleUnroutedIndex)
}

// tenantDetail is a tenant with its endpoints and whether its secrets are set.
type tenantDetail struct {
	*Tenant
	InboundSecret SecretState    `json:"inbound_secret"`
	BoooplyAPIKey SecretState    `json:"boooply_api_key"`
	Endpoints     []EndpointView `json:"endpoints,omitempty"`
}

func detail(t *Tenant, eps []EndpointView) tenantDetail {
	return tenantDetail{Tenant: t, Endpoints: eps,
		InboundSecret: SecretState{Set: t.InboundSecretSealed != ""}, BoooplyAPIKey: SecretState{Set: t.BoooplyAPIKeySealed != ""}}
}

func (h *Handler) handleTenantIndex(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	limit, err := auth.ParseLimit(c.Query("limit"), MaxPageSize)
	if err != nil {
		return err
	}
	f := TenantFilter{TenantIDs: auth.Scope(c), Search: c.Query("q"), Status: Status(c.Query("status")),
		Sort: c.Query("sort"), After: c.Query("after"), Limit: limit}
	ts, next, err := h.ed.ListTenants(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ts, "next": next})
}

func (h *Handler) handleTenantCreate(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	var in TenantInput
	if err := decode(c, &in); err != nil {
		return err
	}
	t := in.tenant()
	views, err := h.ed.CreateTenant(c.UserContext(), t, in.Endpoints)
	if err != nil {
		return err
	}
	if err := auditTenant(c, "tenant.create", t.ID, nil, detail(t, auditViews(views))); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(detail(t, views))
}

func (h *Handler) handleTenantShow(c *fiber.Ctx) error {
	id, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	return h.renderTenant(c, id)
}

func (h *Handler) renderTenant(c *fiber.Ctx, id int64) error {
	t, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	eps, err := h.ed.ListEndpoints(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(detail(t, endpointViews(eps)))
}

func (h *Handler) handleTenantUpdate(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	var u TenantUpdate
	if err := decode(c, &u); err != nil {
		return err
	}
	if u.Status != nil && *u.Status == StatusActive {
		return problem.Invalid("status", "use POST /tenants/:tenant/resume to make a tenant active (it releases held deliveries)")
	}
	before, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	t, err := h.ed.UpdateTenant(c.UserContext(), id, u)
	if err != nil {
		return err
	}
	if err := auditTenant(c, "tenant.update", id, detail(before, nil), detail(t, nil)); err != nil {
		return err
	}
	return c.JSON(detail(t, nil))
}

func (h *Handler) handleTenantStatus(s Status) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := editTenant(c)
		if err != nil {
			return err
		}
		before, err := h.ed.FindTenant(c.UserContext(), id)
		if err != nil {
			return err
		}
		t, err := h.ed.UpdateTenant(c.UserContext(), id, TenantUpdate{Status: &s})
		if err != nil {
			return err
		}
		if err := auditTenant(c, statusAction(s), id, statusOnly(before.Status), statusOnly(t.Status)); err != nil {
			return err
		}
		return c.JSON(t)
	}
}

func (h *Handler) handleTenantResume(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	t, n, err := h.ed.Resume(c.UserContext(), id, h.held)
	if err != nil {
		return err
	}
	if err := auditTenant(c, "tenant.resume", id, nil, fiber.Map{"status": t.Status, "released": n}); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"tenant": t, "released": n})
}

func (h *Handler) handleTenantDelete(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	before, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.ed.DeleteTenant(c.UserContext(), id); err != nil {
		return err
	}
	if err := auditTenant(c, "tenant.delete", id, detail(before, nil), nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) handleTenantDeliverHeld(c *fiber.Ctx) error {
	id, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	p, err := auth.Require(c, auth.PermRetry)
	if err != nil {
		return err
	}
	var in struct {
		Since      string `json:"since"` // RFC 3339; "" = all
		NullSource bool   `json:"null_source"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.NullSource && p.TenantIDs != nil {
		// Events without a sourceId belong to no tenant: a caller limited to
		// some tenants can't see them, so it may not hand them to one.
		return &problem.Error{Code: problem.CodeForbidden,
			Message: "events without a sourceId belong to no tenant; only a user who sees every tenant may deliver them"}
	}
	var since time.Time
	if in.Since != "" {
		if since, err = time.Parse(time.RFC3339, in.Since); err != nil {
			return problem.Invalid("since", "is not an RFC 3339 time like 2026-11-01T00:00:00Z")
		}
	}
	n, err := h.ed.DeliverHeld(c.UserContext(), h.held, id, in.NullSource, since, p.Email)
	if err != nil {
		return err
	}
	if err := auditTenant(c, "unrouted.deliver_held", id, nil, fiber.Map{"since": in.Since, "null_source": in.NullSource, "events": n}); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"events": n})
}

func (h *Handler) handleTenantHeldLog(c *fiber.Ctx) error {
	id, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	log, err := h.ed.ListHeldLog(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": log})
}

func (h *Handler) handleUnroutedIndex(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	limit, err := auth.ParseLimit(c.Query("limit"), MaxPageSize)
	if err != nil {
		return err
	}
	// A caller limited to tenants sees the events held for its tenants' sourceIds only.
	groups, err := h.ed.ListUnrouted(c.UserContext(), auth.Scope(c), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": groups})
}

// editTenant checks the caller may see the :tenant and edit configuration.
func editTenant(c *fiber.Ctx) (int64, error) {
	id, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return 0, err
	}
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return 0, err
	}
	return id, nil
}

// decode reads a JSON body strictly: unknown fields are a 400, so a typo isn't silently ignored.
func decode(c *fiber.Ctx, v any) error {
	return problem.DecodeJSON(c.Get(fiber.HeaderContentType), c.Body(), v)
}

func endpointViews(eps []Endpoint) []EndpointView {
	out := make([]EndpointView, len(eps))
	for i := range eps {
		out[i] = eps[i].View()
	}
	return out
}
