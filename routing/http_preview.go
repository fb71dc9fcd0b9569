package routing

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// previewBody is POST /api/v1/mapping/preview: a draft mapping, or a saved
// version (tenant_id, endpoint_id, version), with a sample or an event_id.
type previewBody struct {
	PreviewRequest
	TenantID   int64 `json:"tenant_id,omitempty"`
	EndpointID int64 `json:"endpoint_id,omitempty"`
	Version    int   `json:"version,omitempty"`
}

func (h *Handler) handleMappingPreview(c *fiber.Ctx) error {
	p, err := auth.Require(c, auth.PermRead)
	if err != nil {
		return err
	}
	var body previewBody
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	if body.Version > 0 {
		if len(body.Mapping) > 0 {
			return problem.Invalid("mapping", "give a draft mapping or a saved version, not both")
		}
		if !p.SeesTenant(body.TenantID) {
			return problem.NotFound("tenant")
		}
		v, err := h.store.FindVersion(c.UserContext(), body.TenantID, body.EndpointID, body.Version)
		if err != nil {
			return err
		}
		body.Mapping = []byte(v.Spec)
	}
	res, err := Preview(c.UserContext(), body.PreviewRequest, h.samples, h.events, h.store.correlationOf, auth.Scope(c))
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (h *Handler) handlePresetIndex(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"presets": Presets()})
}

func (h *Handler) handleOpIndex(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ops": Ops()})
}

// correlationParams checks the scope (and perm) and reads :meetingCode.
func correlationParams(c *fiber.Ctx, perm auth.Permission) (int64, string, error) {
	tenantID, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return 0, "", err
	}
	if _, err := auth.Require(c, perm); err != nil {
		return 0, "", err
	}
	// Fiber leaves path parameters escaped; a meetingCode imported in bulk as
	// "x y" is addressed as …/correlations/x%20y.
	code, err := url.PathUnescape(c.Params("meetingCode"))
	if err != nil {
		return 0, "", problem.BadRequest("meetingCode", "is not a valid escaped path segment")
	}
	return tenantID, code, nil
}

func (h *Handler) handleCorrelationShow(c *fiber.Ctx) error {
	tenantID, code, err := correlationParams(c, auth.PermRead)
	if err != nil {
		return err
	}
	rec, err := h.store.FindCorrelation(c.UserContext(), tenantID, code)
	if err != nil {
		return err
	}
	return c.JSON(rec)
}

func (h *Handler) handleCorrelationUpdate(c *fiber.Ctx) error {
	tenantID, code, err := correlationParams(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	var body struct {
		Attributes map[string]string `json:"attributes"`
	}
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	before, _ := h.store.FindCorrelation(c.UserContext(), tenantID, code) // nil when new
	rec := &Correlation{TenantID: tenantID, MeetingCode: code, Attributes: body.Attributes}
	if err := h.store.PutCorrelation(c.UserContext(), rec); err != nil {
		return err
	}
	saved, err := h.store.FindCorrelation(c.UserContext(), tenantID, rec.MeetingCode)
	if err != nil {
		return err
	}
	if err := auditCorrelation(c, AuditCorrelationPut, tenantID, saved.MeetingCode, before, saved); err != nil {
		return err
	}
	return c.JSON(saved)
}

func (h *Handler) handleCorrelationDelete(c *fiber.Ctx) error {
	tenantID, code, err := correlationParams(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	before, _ := h.store.FindCorrelation(c.UserContext(), tenantID, code)
	if err := h.store.DeleteCorrelation(c.UserContext(), tenantID, code); err != nil {
		return err
	}
	if err := auditCorrelation(c, AuditCorrelationDelete, tenantID, code, before, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// handleCorrelationImport writes {"records":{"<meetingCode>":{"candidate_id":"…"},…}} at once.
func (h *Handler) handleCorrelationImport(c *fiber.Ctx) error {
	tenantID, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	var body struct {
		Records map[string]map[string]string `json:"records"`
	}
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	n, err := h.store.PutCorrelations(c.UserContext(), tenantID, body.Records)
	if err != nil {
		return err
	}
	if err := auditCorrelationBulk(c, tenantID, n, body.Records); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"saved": n})
}
