package tenants

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

func (h *Handler) handleEndpointIndex(c *fiber.Ctx) error {
	tenantID, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	if _, err := h.ed.FindTenant(c.UserContext(), tenantID); err != nil {
		return err
	}
	eps, err := h.ed.ListEndpoints(c.UserContext(), tenantID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": endpointViews(eps)})
}

func (h *Handler) handleEndpointCreate(c *fiber.Ctx) error {
	tenantID, err := editTenant(c)
	if err != nil {
		return err
	}
	var in EndpointInput
	if err := decode(c, &in); err != nil {
		return err
	}
	v, err := h.ed.AddEndpoint(c.UserContext(), tenantID, in)
	if err != nil {
		return err
	}
	if err := auditEndpoint(c, "endpoint.create", tenantID, v.ID, nil, auditView(v)); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handleEndpointShow(c *fiber.Ctx) error {
	tenantID, id, err := tenantEndpointParams(c)
	if err != nil {
		return err
	}
	e, err := h.ed.FindEndpoint(c.UserContext(), tenantID, id)
	if err != nil {
		return err
	}
	return c.JSON(e.View())
}

func (h *Handler) handleEndpointUpdate(c *fiber.Ctx) error {
	tenantID, err := editTenant(c)
	if err != nil {
		return err
	}
	id, err := endpointParam(c)
	if err != nil {
		return err
	}
	var in EndpointInput
	if err := decode(c, &in); err != nil {
		return err
	}
	before, err := h.ed.FindEndpoint(c.UserContext(), tenantID, id)
	if err != nil {
		return err
	}
	v, err := h.ed.UpdateEndpoint(c.UserContext(), tenantID, id, in)
	if err != nil {
		return err
	}
	if err := auditEndpoint(c, "endpoint.update", tenantID, id, before.View(), auditView(v)); err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleEndpointDelete(c *fiber.Ctx) error {
	tenantID, err := editTenant(c)
	if err != nil {
		return err
	}
	id, err := endpointParam(c)
	if err != nil {
		return err
	}
	before, err := h.ed.FindEndpoint(c.UserContext(), tenantID, id)
	if err != nil {
		return err
	}
	if err := h.ed.RemoveEndpoint(c.UserContext(), tenantID, id); err != nil {
		return err
	}
	if err := auditEndpoint(c, "endpoint.delete", tenantID, id, before.View(), nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) handleEndpointRotate(c *fiber.Ctx) error {
	tenantID, err := editTenant(c)
	if err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermRevealSecrets); err != nil {
		return err
	}
	id, err := endpointParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Overlap string `json:"overlap"` // a Go duration, e.g. "24h"; "" = the default
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	var overlap time.Duration
	if in.Overlap != "" {
		if overlap, err = time.ParseDuration(in.Overlap); err != nil {
			return problem.Invalid("overlap", "is not a duration like 24h")
		}
	}
	v, err := h.ed.RotateSigningSecret(c.UserContext(), tenantID, id, overlap)
	if err != nil {
		return err
	}
	if err := auditEndpoint(c, "endpoint.rotate_secret", tenantID, id, nil, fiber.Map{"overlap": in.Overlap}); err != nil {
		return err
	}
	return c.JSON(v)
}

// tenantEndpointParams reads :tenant (in the caller's scope) and :endpoint.
func tenantEndpointParams(c *fiber.Ctx) (tenantID, endpointID int64, err error) {
	if tenantID, err = auth.TenantParam(c, "tenant"); err != nil {
		return 0, 0, err
	}
	endpointID, err = endpointParam(c)
	return tenantID, endpointID, err
}

func endpointParam(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("endpoint"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound("endpoint")
	}
	return id, nil
}
