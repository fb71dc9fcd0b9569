package tenants

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/views"
)

// tenantMoreRoutes mounts the tenant page's credentials form and delete button.
func tenantMoreRoutes(admin fiber.Router, h *Pages) {
	admin.Post("/tenants/:tenant/credentials", h.handleTenantCredentialsPage)
	admin.Post("/tenants/:tenant/delete", h.handleTenantDeletePage)
}

// postOnlyRoutes answers a GET on the addresses that only take a form post
// (a reloaded result page, a copied address) with a 303 to the page of the
// resource the form acts on, instead of a JSON 405. Posting again is never
// implied: the user sees the page and chooses.
func postOnlyRoutes(admin fiber.Router) {
	toTenant := func(c *fiber.Ctx) error {
		id, err := auth.TenantParam(c, "tenant")
		if err != nil {
			return err
		}
		return c.Redirect(tenantURL(id), fiber.StatusSeeOther)
	}
	toEndpoint := func(c *fiber.Ctx) error {
		tenantID, id, err := tenantEndpointParams(c)
		if err != nil {
			return err
		}
		return c.Redirect(endpointURL(tenantID, id), fiber.StatusSeeOther)
	}
	for _, action := range []string{"/endpoints", "/rotate-secret", "/credentials", "/pause", "/disable", "/resume", "/delete"} {
		admin.Get("/tenants/:tenant"+action, toTenant)
	}
	for _, action := range []string{"/rotate-secret", "/delete"} {
		admin.Get("/tenants/:tenant/endpoints/:endpoint"+action, toEndpoint)
	}
}

// inboundHint warns before an own inbound secret is set: webhooks naming
// the tenant's sourceId are then verified with it alone (webhooks.Keys).
const inboundHint = "Only if Boooply signs this organization's webhooks with a secret of their own. Once set, its webhooks " +
	"are verified with this secret alone and the platform secrets (Sources) no longer work for them: " +
	"webhooks Boooply still signs the old way are refused (401)."

// credentialsForm is the write-only form of the tenant's own Boooply secrets.
func credentialsForm(t *Tenant, errs map[string]string, msg string) views.TenantCredentials {
	return views.TenantCredentials{Action: tenantURL(t.ID) + "/credentials", Error: msg,
		HasInboundSecret: t.InboundSecretSealed != "", HasBoooplyKey: t.BoooplyAPIKeySealed != "",
		InboundSecret: views.Field{ID: "tenant-inbound-secret-input", Name: "inbound_secret", Label: "Set the inbound webhook secret",
			Error: errs["inbound_secret"], Hint: inboundHint},
		BoooplyKey: views.Field{ID: "tenant-boooply-key", Name: "boooply_api_key", Label: "Set the Boooply organization API key",
			Error: errs["boooply_api_key"], Hint: "Used to fetch recordings and transcripts on this organization's behalf."},
	}
}

// secretChange reads one write-only field: a value sets it, the clear box
// clears it (""), neither leaves it alone (nil).
func secretChange(c *fiber.Ctx, field, clear string) *string {
	if c.FormValue(clear) == "true" {
		empty := ""
		return &empty
	}
	if v := c.FormValue(field); v != "" {
		return &v
	}
	return nil
}

// handleTenantCredentialsPage sets or clears the tenant's inbound secret and
// Boooply API key (sealed by the Editor). The audit records what changed,
// never a value.
func (h *Pages) handleTenantCredentialsPage(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	u := TenantUpdate{InboundSecret: secretChange(c, "inbound_secret", "clear_inbound_secret"),
		BoooplyAPIKey: secretChange(c, "boooply_api_key", "clear_boooply_api_key")}
	t, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	if u.InboundSecret == nil && u.BoooplyAPIKey == nil {
		creds := credentialsForm(t, nil, "Enter a secret or a key, or tick a box to clear one.")
		return h.renderTenantCreds(c, fiber.StatusUnprocessableEntity, t, creds)
	}
	if _, err := h.ed.UpdateTenant(c.UserContext(), id, u); err != nil {
		errs, msg, ok := auth.FormErrors(err)
		if !ok {
			return err
		}
		// The other typed value isn't saved either and never comes back.
		for name, typed := range map[string]*string{"inbound_secret": u.InboundSecret, "boooply_api_key": u.BoooplyAPIKey} {
			if typed != nil && *typed != "" && errs[name] == "" {
				if errs == nil {
					errs = map[string]string{}
				}
				errs[name] = "not saved either (values are never sent back to the page): enter it again"
			}
		}
		return h.renderTenantCreds(c, fiber.StatusUnprocessableEntity, t, credentialsForm(t, errs, msg))
	}
	// Names without secret words, so the audit's redaction keeps "set"/"cleared".
	change := map[string]string{}
	for name, v := range map[string]*string{"inbound": u.InboundSecret, "boooply_api": u.BoooplyAPIKey} {
		switch {
		case v == nil:
		case *v == "":
			change[name] = "cleared"
		default:
			change[name] = "set"
		}
	}
	if err := auth.Audit(c, "tenant.credentials", id, "tenant:"+strconv.FormatInt(id, 10), nil, change); err != nil {
		return err
	}
	return c.Redirect(auth.Done(tenantURL(id), "tenant-credentials-saved"), fiber.StatusSeeOther)
}

// renderTenantCreds re-renders the tenant page with the credentials form's errors.
func (h *Pages) renderTenantCreds(c *fiber.Ctx, status int, t *Tenant, creds views.TenantCredentials) error {
	return h.renderTenantWith(c, status, t, t, nil, "", nil, &creds)
}

// handleTenantDeletePage deletes a tenant that never received an event; one
// with history gets the 409 page that says to disable it instead.
func (h *Pages) handleTenantDeletePage(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	t, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := h.ed.DeleteTenant(c.UserContext(), id); err != nil {
		return err
	}
	if err := auth.Audit(c, "tenant.delete", id, "tenant:"+strconv.FormatInt(id, 10), t, nil); err != nil {
		return err
	}
	return c.Redirect(auth.Done("/admin/tenants", "tenant-deleted"), fiber.StatusSeeOther)
}
