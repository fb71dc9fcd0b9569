package tenants

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
)

// auditTenant records a tenant-level change by the request's principal.
// Call it after the change committed; before/after must hold no plaintext secret.
func auditTenant(c *fiber.Ctx, action string, tenantID int64, before, after any) error {
	return auth.Audit(c, action, tenantID, tenantTarget(tenantID), before, after)
}

// tenantTarget is the audit target of tenant id.
func tenantTarget(id int64) string { return "tenant:" + strconv.FormatInt(id, 10) }

// auditEndpoint records an endpoint change by the request's principal.
func auditEndpoint(c *fiber.Ctx, action string, tenantID, endpointID int64, before, after any) error {
	return auth.Audit(c, action, tenantID, "endpoint:"+strconv.FormatInt(endpointID, 10), before, after)
}

// auditView is v without the once-shown plaintext signing secret, for the audit trail.
func auditView(v EndpointView) EndpointView {
	v.NewSigningSecret = ""
	return v
}

// auditViews is auditView over a list.
func auditViews(vs []EndpointView) []EndpointView {
	out := make([]EndpointView, len(vs))
	for i := range vs {
		out[i] = auditView(vs[i])
	}
	return out
}

// statusAction names a status change: tenant.pause, tenant.disable, tenant.resume.
func statusAction(s Status) string {
	switch s {
	case StatusPaused:
		return "tenant.pause"
	case StatusDisabled:
		return "tenant.disable"
	}
	return "tenant.resume"
}

// statusOnly is the before/after of a status change.
func statusOnly(s Status) map[string]Status { return map[string]Status{"status": s} }
