package tenants

import (
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
)

// tenantImport is the body of POST /tenants/import.
type tenantImport struct {
	Tenants []TenantInput `json:"tenants"`
	// DryRun validates (sourceIds taken included) and writes nothing.
	DryRun bool `json:"dry_run"`
}

// handleTenantImport creates up to MaxImport tenants at once, all or none,
// and answers them in the order sent with each endpoint's signing secret
// (shown once).
func (h *Handler) handleTenantImport(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	var in tenantImport
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.DryRun {
		if err := h.ed.CheckImport(c.UserContext(), in.Tenants); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"dry_run": true, "valid": len(in.Tenants)})
	}
	created, err := h.ed.ImportTenants(c.UserContext(), in.Tenants)
	if err != nil {
		return err
	}
	if err := auth.AuditAll(c, createChanges(created)); err != nil {
		return err
	}
	out := make([]tenantDetail, len(created))
	for i, ct := range created {
		out[i] = detail(ct.Tenant, ct.Endpoints)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"tenants": out})
}

// createChanges are the audit entries of created tenants: one
// tenant.create each, as a single create records, without the once-shown
// signing secrets.
func createChanges(created []Created) []auth.Change {
	out := make([]auth.Change, len(created))
	for i, ct := range created {
		out[i] = auth.Change{Action: "tenant.create", TenantID: ct.Tenant.ID, Target: tenantTarget(ct.Tenant.ID),
			After: detail(ct.Tenant, auditViews(ct.Endpoints))}
	}
	return out
}
