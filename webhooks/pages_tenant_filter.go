package webhooks

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/views"
)

// tenantTextParam is the deliveries form's tenant field: a name or a
// sourceId as typed. Links name a tenant by id (?tenant=).
const tenantTextParam = "tenant_q"

// tenantSuggestions bounds the datalist the page starts with.
const tenantSuggestions = 20

// resolveTenantText applies the typed tenant filter to f and v. The form
// sends the text (tenant_q) and the id of the tenant it showed (tenant):
// the text wins unless it still names that tenant, so an untouched field
// keeps its tenant even when another shares the name, and the id never
// outlives a new text. Text that names no single tenant in the caller's scope returns
// the choices to offer instead of rows.
func (p *Pages) resolveTenantText(c *fiber.Ctx, f *DeliveryFilter, v *views.DeliveryFilter) (*views.TenantChoices, error) {
	if !c.Context().QueryArgs().Has(tenantTextParam) {
		return nil, nil
	}
	text := strings.TrimSpace(c.Query(tenantTextParam))
	ctx := c.UserContext()
	store := tenants.NewStore(p.store.db)
	if f.TenantID > 0 && text != "" && inScope(f.Scope, f.TenantID) {
		t, err := store.FindTenant(ctx, f.TenantID)
		if pr, ok := problem.As(err); err != nil && (!ok || pr.Code != problem.CodeNotFound) {
			return nil, err
		}
		if err == nil && (strings.EqualFold(t.Name, text) || t.SourceID == text) {
			return nil, nil
		}
	}
	f.TenantID, v.Tenant = 0, ""
	if text == "" {
		return nil, nil
	}
	matches, err := store.MatchTenants(ctx, f.Scope, text, tenants.MaxMatches+1)
	if err != nil {
		return nil, err
	}
	if len(matches) == 1 {
		f.TenantID, v.Tenant = matches[0].ID, strconv.FormatInt(matches[0].ID, 10)
		return nil, nil
	}
	v.TenantText = text
	choices := &views.TenantChoices{Text: text, More: len(matches) > tenants.MaxMatches}
	for _, t := range matches[:min(len(matches), tenants.MaxMatches)] {
		q := filterQuery(*v)
		q.Set("tenant", strconv.FormatInt(t.ID, 10))
		choices.Choices = append(choices.Choices, views.Link{Label: t.Name + " · " + t.SourceID, URL: withQuery("/admin/deliveries", q)})
	}
	return choices, nil
}

// tenantPicker is the form's tenant field: the chosen tenant by name (names
// holds it), else the text as typed. An empty field's datalist starts with
// the first tenants by name (a walk of the name index); once there is text,
// typing asks for suggestions, and text naming several tenants already
// lists them as choices.
func (p *Pages) tenantPicker(ctx context.Context, f DeliveryFilter, v views.DeliveryFilter, names map[int64]string) (views.TenantPicker, error) {
	pk := views.TenantPicker{WrapID: "tenant-filter", SuggestURL: "/admin/tenant-suggestions",
		Field: views.Field{ID: "f-tenant", Name: tenantTextParam, Label: "Tenant", Value: v.TenantText,
			Placeholder: "All tenants", Hint: "Name or sourceId; empty for all tenants."}}
	if f.TenantID > 0 {
		pk.Field.Value, pk.KeepName, pk.KeepValue = names[f.TenantID], "tenant", v.Tenant
	}
	if pk.Field.Value != "" {
		return pk, nil
	}
	ts, err := tenants.NewStore(p.store.db).SuggestTenants(ctx, f.Scope, "", tenantSuggestions)
	if err != nil {
		return pk, err
	}
	pk.Suggestions = tenants.SuggestionOptions(ts)
	return pk, nil
}

// canonicalListURL is the deliveries list the filters select, as links
// name it (?tenant= by id): the address an htmx swap puts in the bar.
func canonicalListURL(v views.DeliveryFilter) string {
	q := filterQuery(v)
	if v.TenantText != "" {
		q.Set(tenantTextParam, v.TenantText)
	}
	return withQuery("/admin/deliveries", q)
}

// rowTenantIDs are the tenants to name: each row's and the filter's.
func rowTenantIDs(rows []DeliveryRow, filter int64) []int64 {
	ids := make([]int64, 0, len(rows)+1)
	if filter > 0 {
		ids = append(ids, filter)
	}
	for _, r := range rows {
		ids = append(ids, r.TenantID)
	}
	return ids
}
