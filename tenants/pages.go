package tenants

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/views"
)

// Pages serves the admin pages of tenants and endpoints. Every post passes
// the same checks as the JSON API (auth.Require, auth.TenantParam).
type Pages struct {
	ed   *Editor
	held HeldEvents
	last LastDeliveries // may be nil
}

// NewPages returns the page handler; last may be nil (no "last delivery").
func NewPages(ed *Editor, held HeldEvents, last LastDeliveries) *Pages {
	return &Pages{ed: ed, held: held, last: last}
}

// PageRoutes mounts the pages under admin (the /admin group behind the gate).
func PageRoutes(admin fiber.Router, h *Pages) {
	admin.Get("/tenants", h.handleTenantList)
	admin.Get("/tenant-suggestions", h.handleTenantSuggestions)
	admin.Get("/tenants/new", h.handleTenantNew)
	admin.Post("/tenants", h.handleTenantCreatePage)
	admin.Get("/tenants/:tenant", h.handleTenantPage)
	admin.Post("/tenants/:tenant", h.handleTenantEditPage)
	admin.Post("/tenants/:tenant/pause", h.handleTenantStatusPage(StatusPaused))
	admin.Post("/tenants/:tenant/disable", h.handleTenantStatusPage(StatusDisabled))
	admin.Post("/tenants/:tenant/resume", h.handleTenantResumePage)
	admin.Post("/tenants/:tenant/rotate-secret", h.handleTenantRotatePage)
	endpointPageRoutes(admin, h)
	tenantMoreRoutes(admin, h)
	postOnlyRoutes(admin)
}

func tenantURL(id int64) string { return "/admin/tenants/" + strconv.FormatInt(id, 10) }

func (h *Pages) handleTenantList(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	q, sort := c.Query("q"), c.Query("sort", "name")
	f := TenantFilter{TenantIDs: auth.Scope(c), Search: q, Status: Status(c.Query("status")), Sort: sort, After: c.Query("after")}
	ts, next, err := h.ed.ListTenants(c.UserContext(), f)
	if err != nil {
		return err
	}
	rows, err := h.tenantRows(c, ts)
	if err != nil {
		return err
	}
	p := views.TenantList{Meta: auth.Meta(c, "Tenants", views.NavTenants), ListURL: "/admin/tenants", Query: q, Sort: sort,
		Columns: tenantColumns(q, sort), Rows: rows, NewURL: "/admin/tenants/new", CanEdit: auth.Can(c, auth.PermEditConfig),
		Pager: views.Pager{Target: "tenant-table", Summary: fmt.Sprintf("%d shown", len(rows))}}
	if next != "" {
		p.Pager.FirstURL = listURL(q, sort, "")
		p.Pager.NextURL = listURL(q, sort, next)
	}
	if c.Get("HX-Request") == "true" {
		return auth.Render(c, fiber.StatusOK, views.TenantTable(p))
	}
	return auth.Render(c, fiber.StatusOK, views.TenantsPage(p))
}

func listURL(q, sort, after string) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	v.Set("sort", sort)
	if after != "" {
		v.Set("after", after)
	}
	return "/admin/tenants?" + v.Encode()
}

// tenantColumns are the headers; the name sorts (both directions).
func tenantColumns(q, sort string) []views.Column {
	col := func(label, key string) views.Column {
		c := views.Column{Label: label, SortURL: listURL(q, key, "")}
		switch sort {
		case key:
			c.Sort, c.SortURL = "ascending", listURL(q, "-"+key, "")
		case "-" + key:
			c.Sort = "descending"
		}
		return c
	}
	return []views.Column{col("Tenant", "name"), {Label: "Status"}, {Label: "Endpoints"}, {Label: "Last delivery"}, {Label: "Health"}}
}

func (h *Pages) tenantRows(c *fiber.Ctx, ts []Tenant) ([]views.TenantRow, error) {
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	act, err := h.ed.Activity(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	if h.last != nil {
		last, err := h.last(c.UserContext(), ids)
		if err != nil {
			return nil, err
		}
		for id, at := range last {
			if a := act[id]; a != nil {
				a.LastDelivery = &at
			}
		}
	}
	rows := make([]views.TenantRow, len(ts))
	for i, t := range ts {
		a := act[t.ID]
		rows[i] = views.TenantRow{URL: tenantURL(t.ID), Name: t.Name, SourceID: t.SourceID, Status: string(t.Status),
			Endpoints: a.Endpoints, Health: a.Health()}
		if a.LastDelivery != nil {
			rows[i].LastDelivery = ago(time.Since(*a.LastDelivery))
		}
	}
	return rows, nil
}

// ago is a short relative time ("3 min ago").
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// tenantForm builds the form props from the values and per-field errors.
func tenantForm(action, submit string, t *Tenant, errs map[string]string, msg string, withStatus bool) views.TenantForm {
	f := views.TenantForm{Action: action, Submit: submit, Error: msg,
		Name: views.Field{ID: "tenant-name", Name: "name", Label: "Name", Value: t.Name, Error: errs["name"], Required: true},
		SourceID: views.Field{ID: "tenant-source-id", Name: "source_id", Label: "sourceId", Value: t.SourceID, Error: errs["source_id"],
			Hint: "The organizationId the vendor passed to Boooply; events carry it as data.sourceId.", Required: true},
		Notes: views.Field{ID: "tenant-notes", Name: "notes", Label: "Notes", Value: t.Notes, Error: errs["notes"]},
	}
	if withStatus {
		f.Status = views.Field{ID: "tenant-status", Name: "status", Label: "Status", Error: errs["status"]}
		for _, s := range []Status{StatusActive, StatusPaused, StatusDisabled} {
			f.Status.Options = append(f.Status.Options, views.Option{Value: string(s), Label: string(s), Selected: t.Status == s})
		}
	}
	return f
}

func (h *Pages) handleTenantNew(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	// The Unrouted page links here with ?source_id= to onboard that organization.
	return h.renderTenantNew(c, fiber.StatusOK, &Tenant{SourceID: c.Query("source_id")}, nil, "")
}

func (h *Pages) renderTenantNew(c *fiber.Ctx, status int, t *Tenant, errs map[string]string, msg string) error {
	p := views.TenantEdit{Meta: auth.Meta(c, "New tenant", views.NavTenants), Title: "New tenant",
		Crumbs: []views.Link{{Label: "Tenants", URL: "/admin/tenants"}},
		Form:   tenantForm("/admin/tenants", "Create tenant", t, errs, msg, false)}
	return auth.Render(c, status, views.TenantEditPage(p))
}

func (h *Pages) handleTenantCreatePage(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	t := &Tenant{Name: c.FormValue("name"), SourceID: c.FormValue("source_id"), Notes: c.FormValue("notes")}
	if _, err := h.ed.CreateTenant(c.UserContext(), t, nil); err != nil {
		errs, msg, ok := auth.FormErrors(err)
		if !ok {
			return err
		}
		return h.renderTenantNew(c, fiber.StatusUnprocessableEntity, t, errs, msg)
	}
	if err := auth.Audit(c, "tenant.create", t.ID, "tenant:"+strconv.FormatInt(t.ID, 10), nil, t); err != nil {
		return err
	}
	return c.Redirect(auth.Done(tenantURL(t.ID), "tenant-created"), fiber.StatusSeeOther)
}

func (h *Pages) handleTenantPage(c *fiber.Ctx) error {
	id, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	t, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	return h.renderTenant(c, fiber.StatusOK, t, t, nil, "", nil)
}

// renderTenant renders the tenant page; form holds the values the edit form shows.
func (h *Pages) renderTenant(c *fiber.Ctx, status int, t, form *Tenant, errs map[string]string, msg string, secret *views.Secret) error {
	return h.renderTenantWith(c, status, t, form, errs, msg, secret, nil)
}

// renderTenantWith is renderTenant with the credentials form's state (nil: fresh).
func (h *Pages) renderTenantWith(c *fiber.Ctx, status int, t, form *Tenant, errs map[string]string, msg string, secret *views.Secret,
	creds *views.TenantCredentials) error {
	eps, err := h.ed.ListEndpoints(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	base := tenantURL(t.ID)
	p := views.TenantDetail{Meta: auth.Meta(c, t.Name, views.NavTenants), Name: t.Name, SourceID: t.SourceID, Status: string(t.Status),
		Created: t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), Notes: t.Notes, NewEndpointURL: base + "/endpoints/new",
		DeliveriesURL: "/admin/deliveries?tenant=" + strconv.FormatInt(t.ID, 10), Form: tenantForm(base, "Save tenant", form, errs, msg, false),
		NewSecret: secret, CanEdit: auth.Can(c, auth.PermEditConfig), Credentials: credentialsForm(t, nil, ""), DeleteURL: base + "/delete"}
	if creds != nil {
		p.Credentials = *creds
	}
	held, err := h.ed.CountHeld(c.UserContext(), t)
	if err != nil {
		return err
	}
	p.UnroutedEvents, p.HeldDeliveries = held.UnroutedEvents, held.HeldDeliveries
	if held.UnroutedEvents > 0 && auth.Can(c, auth.PermRetry) && len(eps) == 0 {
		p.DeliverNeedsEndpoint = true
	} else if held.UnroutedEvents > 0 && auth.Can(c, auth.PermRetry) {
		p.DeliverHeldURL = "/admin/unrouted/" + strconv.FormatInt(t.ID, 10) + "/deliver?back=tenant"
	}
	if t.InboundSecretSealed != "" {
		// Without an own secret the tenant's webhooks are verified with the
		// platform's: "rotating" would create one Boooply doesn't sign with.
		p.RotateSecretURL = base + "/rotate-secret"
	}
	switch t.Status {
	case StatusActive:
		p.PauseURL, p.DisableURL = base+"/pause", base+"/disable"
	case StatusPaused:
		p.ResumeURL, p.DisableURL = base+"/resume", base+"/disable"
	default:
		p.ResumeURL = base + "/resume"
	}
	health, err := h.ed.EndpointHealth(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	for _, e := range eps {
		row := h.endpointRow(t.ID, &e)
		row.Health = health[e.ID]
		p.Endpoints = append(p.Endpoints, row)
	}
	return auth.Render(c, status, views.TenantPage(p))
}

func (h *Pages) handleTenantEditPage(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	t, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	name, source, notes := c.FormValue("name"), c.FormValue("source_id"), c.FormValue("notes")
	after, err := h.ed.UpdateTenant(c.UserContext(), id, TenantUpdate{Name: &name, SourceID: &source, Notes: &notes})
	if err != nil {
		errs, msg, ok := auth.FormErrors(err)
		if !ok {
			return err
		}
		return h.renderTenant(c, fiber.StatusUnprocessableEntity, t, &Tenant{Name: name, SourceID: source, Notes: notes}, errs, msg, nil)
	}
	if err := auth.Audit(c, "tenant.update", id, "tenant:"+strconv.FormatInt(id, 10), t, after); err != nil {
		return err
	}
	return c.Redirect(auth.Done(tenantURL(id), "tenant-saved"), fiber.StatusSeeOther)
}

func (h *Pages) handleTenantStatusPage(s Status) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := editTenant(c)
		if err != nil {
			return err
		}
		if _, err := h.ed.UpdateTenant(c.UserContext(), id, TenantUpdate{Status: &s}); err != nil {
			return err
		}
		if err := auth.Audit(c, statusAction(s), id, "tenant:"+strconv.FormatInt(id, 10), nil, statusOnly(s)); err != nil {
			return err
		}
		return c.Redirect(auth.Done(tenantURL(id), "tenant-"+string(s)), fiber.StatusSeeOther)
	}
}

func (h *Pages) handleTenantResumePage(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	before, err := h.ed.FindTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	if _, _, err := h.ed.Resume(c.UserContext(), id, h.held); err != nil {
		return err
	}
	if err := auth.Audit(c, "tenant.resume", id, "tenant:"+strconv.FormatInt(id, 10), nil, nil); err != nil {
		return err
	}
	done := "tenant-resumed"
	if before.Status == StatusDisabled { // nothing was held: say what happens instead
		done = "tenant-reenabled"
	}
	return c.Redirect(auth.Done(tenantURL(id), done), fiber.StatusSeeOther)
}

// handleTenantRotatePage replaces the tenant's own inbound secret with a
// fresh one and shows it once (this response only; it is stored sealed). A
// tenant without an own secret is refused (409): its webhooks are signed
// with the platform's secret, and a new own secret would refuse them all.
// inboundRotationOverlap is how long a tenant's rotated-out inbound secret
// still verifies, as for sources (webhooks.DefaultRotationOverlap).
const inboundRotationOverlap = 24 * time.Hour

func (h *Pages) handleTenantRotatePage(c *fiber.Ctx) error {
	id, err := editTenant(c)
	if err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermRevealSecrets); err != nil {
		return err
	}
	secret, t, err := h.ed.RotateInboundSecret(c.UserContext(), id, inboundRotationOverlap)
	if err != nil {
		return err
	}
	if err := auth.Audit(c, "tenant.rotate_secret", id, "tenant:"+strconv.FormatInt(id, 10), nil,
		fiber.Map{"previous_expires_at": t.PreviousInboundExpiresAt}); err != nil {
		return err
	}
	return h.renderTenant(c, fiber.StatusOK, t, t, nil, "", &views.Secret{ID: "tenant-inbound-secret",
		Label: "New inbound webhook secret", Value: secret, PageURL: tenantURL(id),
		Note: "Webhooks signed with the previous secret are accepted until " + t.PreviousInboundExpiresAt.Format("2006-01-02 15:04 UTC") +
			", then refused: Boooply must sign this organization's " +
			"webhooks with this one. It is shown only once."})
}
