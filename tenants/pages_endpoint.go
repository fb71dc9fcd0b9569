package tenants

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

func endpointPageRoutes(admin fiber.Router, h *Pages) {
	admin.Get("/tenants/:tenant/endpoints/new", h.handleEndpointNew)
	admin.Post("/tenants/:tenant/endpoints", h.handleEndpointCreatePage)
	admin.Post("/tenants/:tenant/endpoints/check-url", h.handleEndpointCheckURL)
	admin.Get("/tenants/:tenant/endpoints/:endpoint", h.handleEndpointPage)
	admin.Post("/tenants/:tenant/endpoints/:endpoint", h.handleEndpointUpdatePage)
	admin.Post("/tenants/:tenant/endpoints/:endpoint/rotate-secret", h.handleEndpointRotatePage)
	admin.Post("/tenants/:tenant/endpoints/:endpoint/delete", h.handleEndpointDeletePage)
}

func endpointURL(tenantID, id int64) string {
	return tenantURL(tenantID) + "/endpoints/" + strconv.FormatInt(id, 10)
}

// endpointRow is an endpoint as the tenant page lists it (never a secret);
// the caller fills Health.
func (h *Pages) endpointRow(tenantID int64, e *Endpoint) views.EndpointRow {
	u := endpointURL(tenantID, e.ID)
	return views.EndpointRow{URL: e.URL, Description: e.Description, Enabled: e.Enabled, Subscriptions: h.subscriptionsSummary(e),
		Auth: string(e.AuthType), EditURL: u, MappingURL: u + "/mapping",
		DeliveriesURL: fmt.Sprintf("/admin/deliveries?tenant=%d&endpoint=%d", tenantID, e.ID)}
}

// urlHint says which URLs the SSRF guard (egress.CheckURL) takes and shows
// placeholders that work: paths of the event (data.*, meta.*) or of the
// tenant's correlation record.
const urlHint = "The receiver's http:// or https:// address. Use https: http sends events unencrypted and suits only " +
	"tests and private networks (those need SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS). Placeholders after the host are filled " +
	"per event, e.g. …/candidates/{{correlation.candidate_id}}/notes or …?interview={{data.meetingCode}}. " +
	"Auth type bullhorn: " + BullhornRestURL + "entity/Note (the session's restUrl comes first)."

// defaultsHint names the event types an endpoint with none checked receives.
func (h *Pages) defaultsHint() string {
	if len(h.ed.defaults) == 0 {
		return "None checked: the default event types."
	}
	return "None checked: " + strings.Join(h.ed.defaults, ", ") + " (the defaults)."
}

// endpointForm fills the form props from e (the values shown) and errs.
func (h *Pages) endpointForm(c *fiber.Ctx, t *Tenant, e *Endpoint, errs map[string]string, msg string) (views.EndpointForm, error) {
	base := tenantURL(t.ID)
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	fld := func(name, label, value, hint string) views.Field {
		return views.Field{ID: "endpoint-" + strings.ReplaceAll(name, "_", "-"), Name: name, Label: label, Value: value, Hint: hint, Error: errs[name]}
	}
	p := views.EndpointForm{Meta: auth.Meta(c, "Endpoint", views.NavTenants), Title: "New endpoint", Action: base + "/endpoints",
		Crumbs: []views.Link{{Label: "Tenants", URL: "/admin/tenants"}, {Label: t.Name, URL: base}}, CheckURL: base + "/endpoints/check-url",
		URL:         fld("url", "URL", e.URL, urlHint),
		Description: fld("description", "Description", e.Description, ""), Enabled: e.Enabled,
		Events:   fld("subscriptions", "Event types", "", h.defaultsHint()),
		AuthType: fld("auth_type", "Type", "", ""), AuthHeader: fld("auth_header_name", "Header name (type header)", e.AuthHeaderName, ""),
		AuthSecret: fld("auth_secret", "Secret (token, user:password, header value or OAuth2 client secret)", "", ""), HasAuthSecret: e.AuthSecretSealed != "",
		Headers:           fld("headers", "Extra headers", formatHeaders(e.Headers), "One Name: value per line (not secret)."),
		TimeoutMS:         fld("timeout_ms", "Timeout (ms)", num(e.TimeoutMS), "Empty: server default."),
		MaxAttempts:       fld("max_attempts", "Max attempts", num(e.MaxAttempts), "Empty: server default."),
		MaxAge:            fld("max_age_seconds", "Give up after (seconds)", num(e.MaxAgeSeconds), ""),
		Concurrency:       fld("max_concurrency", "Max in flight", num(e.MaxConcurrency), ""),
		RateLimit:         fld("rate_limit_per_second", "Rate limit (per second)", strings.TrimSuffix(strconv.FormatFloat(e.RateLimitPerSecond, 'f', -1, 64), "0"), "Empty: unlimited. Otherwise 0.000278 (one per hour) to 10000."),
		RetryClientErrors: e.RetryClientErrors, SkipRevisions: e.SkipRevisions, Ordered: e.Ordered, Error: msg,
		CanEdit: auth.Can(c, auth.PermEditConfig)}
	p.AuthSecret.Name = "auth_secret"
	h.endpointFormMore(&p, e, fld)
	if err := h.subscriptionOptions(c.UserContext(), &p.Events, e); err != nil {
		return p, err
	}
	for _, a := range []AuthType{AuthNone, AuthBearer, AuthBasic, AuthHeader, AuthOAuth2, AuthBullhorn} {
		p.AuthType.Options = append(p.AuthType.Options, views.Option{Value: string(a), Label: string(a), Selected: e.AuthType == a || (e.AuthType == "" && a == AuthNone)})
	}
	if e.ID != 0 {
		u := endpointURL(t.ID, e.ID)
		p.Title, p.Action, p.RotateSigningURL, p.DeleteURL = "Endpoint "+e.URL, u, u+"/rotate-secret", u+"/delete"
		row := h.endpointRow(t.ID, e)
		p.DeliveriesURL, p.MappingURL = row.DeliveriesURL, row.MappingURL
		if auth.Can(c, auth.PermRetry) {
			p.TestURL = "/admin/deliveries/test?" + url.Values{"tenant": {strconv.FormatInt(t.ID, 10)}, "endpoint": {strconv.FormatInt(e.ID, 10)}}.Encode()
			for _, et := range h.ed.eventTypes {
				if contains(h.ed.namedOnly, et) && !contains(e.Subscriptions, et) {
					continue // only endpoints that name it receive it, tests included
				}
				p.TestEventTypes = append(p.TestEventTypes, views.Option{Value: et, Label: et, Selected: et == "interview.evaluation"})
			}
		}
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// tenantFor loads the :tenant the caller may see.
func (h *Pages) tenantFor(c *fiber.Ctx) (*Tenant, error) {
	id, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return nil, err
	}
	return h.ed.FindTenant(c.UserContext(), id)
}

func (h *Pages) handleEndpointNew(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	t, err := h.tenantFor(c)
	if err != nil {
		return err
	}
	p, err := h.endpointForm(c, t, &Endpoint{Enabled: true}, nil, "")
	if err != nil {
		return err
	}
	return auth.Render(c, fiber.StatusOK, views.EndpointFormPage(p))
}

func (h *Pages) handleEndpointPage(c *fiber.Ctx) error {
	t, err := h.tenantFor(c)
	if err != nil {
		return err
	}
	id, err := endpointParam(c)
	if err != nil {
		return err
	}
	e, err := h.ed.FindEndpoint(c.UserContext(), t.ID, id)
	if err != nil {
		return err
	}
	p, err := h.endpointForm(c, t, e, nil, "")
	if err != nil {
		return err
	}
	return auth.Render(c, fiber.StatusOK, views.EndpointFormPage(p))
}

// formFailed re-renders the endpoint form with the input (never the
// typed secret) and the errors, as a 422.
func (h *Pages) formFailed(c *fiber.Ctx, t *Tenant, e *Endpoint, in EndpointInput, errs map[string]string, err error) error {
	msg := ""
	if err != nil {
		var ok bool
		var more map[string]string
		if more, msg, ok = auth.FormErrors(err); !ok {
			return err
		}
		for k, v := range more {
			errs[k] = v
		}
	}
	// A typed secret is never sent back to the page: say so at the field,
	// or saving again would keep the stored one (or none) without a word.
	for name, typed := range map[string]*string{"auth_secret": in.AuthSecret, "client_key_pem": in.ClientKeyPEM, "bullhorn_password": in.BullhornPassword} {
		if typed != nil && strings.TrimSpace(*typed) != "" && errs[name] == "" {
			errs[name] = "not kept after a failed save (secrets are never sent back to the page): enter it again"
		}
	}
	shown := *e
	in.AuthSecret, in.ClientKeyPEM, in.BullhornPassword = nil, nil, nil
	in.apply(&shown)
	p, ferr := h.endpointForm(c, t, &shown, errs, msg)
	if ferr != nil {
		return ferr
	}
	return auth.Render(c, fiber.StatusUnprocessableEntity, views.EndpointFormPage(p))
}

func (h *Pages) handleEndpointCreatePage(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	t, err := h.tenantFor(c)
	if err != nil {
		return err
	}
	in, errs := endpointInput(c)
	if len(errs) > 0 {
		return h.formFailed(c, t, &Endpoint{}, in, errs, nil)
	}
	v, err := h.ed.AddEndpoint(c.UserContext(), t.ID, in)
	if err != nil {
		return h.formFailed(c, t, &Endpoint{}, in, errs, err)
	}
	if err := auth.Audit(c, "endpoint.create", t.ID, "endpoint:"+strconv.FormatInt(v.ID, 10), nil, v); err != nil {
		return err
	}
	return h.showWithSecret(c, t, v, fiber.StatusCreated, "Signing secret of the new endpoint")
}

// showWithSecret renders the endpoint page with its new signing secret,
// which this response alone shows.
func (h *Pages) showWithSecret(c *fiber.Ctx, t *Tenant, v EndpointView, status int, label string) error {
	e, err := h.ed.FindEndpoint(c.UserContext(), t.ID, v.ID)
	if err != nil {
		return err
	}
	p, err := h.endpointForm(c, t, e, nil, "")
	if err != nil {
		return err
	}
	if v.NewSigningSecret != "" {
		p.NewSecret = &views.Secret{ID: "endpoint-signing-secret", Label: label, Value: v.NewSigningSecret, PageURL: endpointURL(t.ID, v.ID),
			Note: "The receiver verifies each delivery's webhook-signature with it. Copy it now: it is shown only once."}
	}
	return auth.Render(c, status, views.EndpointFormPage(p))
}

func (h *Pages) handleEndpointUpdatePage(c *fiber.Ctx) error {
	t, err := h.tenantFor(c)
	if err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	id, err := endpointParam(c)
	if err != nil {
		return err
	}
	e, err := h.ed.FindEndpoint(c.UserContext(), t.ID, id)
	if err != nil {
		return err
	}
	in, errs := endpointInput(c)
	if len(errs) > 0 {
		return h.formFailed(c, t, e, in, errs, nil)
	}
	v, err := h.ed.UpdateEndpoint(c.UserContext(), t.ID, id, in)
	if err != nil {
		return h.formFailed(c, t, e, in, errs, err)
	}
	if err := auth.Audit(c, "endpoint.update", t.ID, "endpoint:"+strconv.FormatInt(id, 10), e.View(), v); err != nil {
		return err
	}
	return c.Redirect(auth.Done(endpointURL(t.ID, id), "endpoint-saved"), fiber.StatusSeeOther)
}

func (h *Pages) handleEndpointRotatePage(c *fiber.Ctx) error {
	t, err := h.tenantFor(c)
	if err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermRevealSecrets); err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	id, err := endpointParam(c)
	if err != nil {
		return err
	}
	v, err := h.ed.RotateSigningSecret(c.UserContext(), t.ID, id, DefaultSigningOverlap)
	if err != nil {
		return err
	}
	if err := auth.Audit(c, "endpoint.rotate_secret", t.ID, "endpoint:"+strconv.FormatInt(id, 10), nil, nil); err != nil {
		return err
	}
	return h.showWithSecret(c, t, v, fiber.StatusOK, "New signing secret (the previous one works 24 more hours)")
}

func (h *Pages) handleEndpointDeletePage(c *fiber.Ctx) error {
	t, err := h.tenantFor(c)
	if err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	id, err := endpointParam(c)
	if err != nil {
		return err
	}
	if err := h.ed.RemoveEndpoint(c.UserContext(), t.ID, id); err != nil {
		return err
	}
	if err := auth.Audit(c, "endpoint.delete", t.ID, "endpoint:"+strconv.FormatInt(id, 10), nil, nil); err != nil {
		return err
	}
	return c.Redirect(auth.Done(tenantURL(t.ID), "endpoint-deleted"), fiber.StatusSeeOther)
}

// handleEndpointCheckURL answers the live URL check beside the URL field.
func (h *Pages) handleEndpointCheckURL(c *fiber.Ctx) error {
	if _, err := h.tenantFor(c); err != nil {
		return err
	}
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	e := &Endpoint{URL: strings.TrimSpace(c.FormValue("url")), AuthType: AuthType(c.FormValue("auth_type")), Enabled: true}
	if e.AuthType != AuthBullhorn {
		e.AuthType = AuthNone // the URL is judged alone; the other auth settings when saved
	}
	res := views.URLCheck{OK: true, Message: "can be called"}
	if IsBullhornURL(e.URL) {
		res.Message = "is under the restUrl of the Bullhorn session: its host is known and checked at login"
	}
	if err := e.validateURL(c.UserContext(), h.ed.endpointURLs()); err != nil {
		p, ok := problem.As(err)
		if !ok {
			return err
		}
		res = views.URLCheck{Message: p.Message}
		if len(p.Details) > 0 && p.Details[0].Field == "url" { // the field is beside the message
			res.Message = p.Details[0].Reason
		}
	} else if names := correlationPlaceholders(e.URL); len(names) > 0 {
		res.Note = strings.Join(names, ", ") + " come from this tenant's correlation records, written per interview by the vendor: " +
			"not checked here. A delivery whose record lacks the value waits and retries."
	}
	return auth.Render(c, fiber.StatusOK, views.URLCheckResult(res))
}
