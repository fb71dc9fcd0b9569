package tenants

import (
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/views"
)

// suggestionLimit bounds the answer to a tenant picker's typing.
const suggestionLimit = 20

// handleTenantSuggestions answers a tenant picker's typing (?tenant_q=)
// with the <option>s of the tenants in the caller's scope that match it.
func (h *Pages) handleTenantSuggestions(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	ts, err := h.ed.SuggestTenants(c.UserContext(), auth.Scope(c), c.Query("tenant_q"), suggestionLimit)
	if err != nil {
		return err
	}
	return auth.Render(c, fiber.StatusOK, views.TenantSuggestions(SuggestionOptions(ts)))
}

// SuggestionOptions are tenants as a tenant picker's suggestions: the
// name to fill in, the sourceId beside it.
func SuggestionOptions(ts []Tenant) []views.Option {
	out := make([]views.Option, len(ts))
	for i, t := range ts {
		out[i] = views.Option{Value: t.Name, Label: t.SourceID}
	}
	return out
}
