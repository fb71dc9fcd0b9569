package auth

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/static"
	"github.com/switchboard-gw/switchboard/views"
)

// The helpers below are shared by every package's admin pages: the page
// gate, the Meta every page renders, Render and the split of a problem
// error into per-field messages for a form.

const (
	csrfKey = "switchboard.ui.csrf"
	// SignOutPath is where the header's sign-out form posts.
	SignOutPath = "/admin/logout"
	// LoginPath is the sign-in page.
	LoginPath = "/login"
)

// PageGate guards /admin pages (mount it after Middleware): it sets the
// security headers (CSP without inline scripts) and Cache-Control: no-store
// (pages show candidates' data and, once, new secrets: the browser must not
// keep them for Back), sends a visitor without a session to the sign-in
// page, keeps the session's CSRF token for Meta, and turns errors into HTML
// error pages (htmx requests get the fragment).
func (s *Service) PageGate() fiber.Handler {
	signIn := RequireSignIn(LoginPath)
	return func(c *fiber.Ctx) error {
		SecurityHeaders(c)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Locals(csrfKey, s.CSRFToken(c))
		err := signIn(c)
		if err == nil {
			return nil
		}
		return ErrorPage(c, err)
	}
}

// SecurityHeaders sets static.SecurityHeaders on the response.
func SecurityHeaders(c *fiber.Ctx) {
	for _, h := range static.SecurityHeaders() {
		c.Set(h[0], h[1])
	}
}

// ErrorPage renders a problem as an error page (htmx requests get the
// fragment); other errors go on to main's error handler (logged, 500).
func ErrorPage(c *fiber.Ctx, err error) error {
	p, ok := problem.As(err)
	if !ok {
		var fe *fiber.Error
		if !errors.As(err, &fe) || fe.Code != fiber.StatusNotFound {
			return err
		}
		p = problem.NotFound("page")
	}
	status := problem.Status(p.Code)
	titles := map[int]string{400: "Check the input", 401: "Sign in first", 403: "Not allowed", 404: "Not found", 409: "Conflict", 422: "Check the input", 429: "Too many attempts"}
	title := titles[status]
	if title == "" {
		title = "Something went wrong"
	}
	props := views.ErrorProps{Meta: Meta(c, title, ""), Status: status, Title: title, Message: p.Message}
	if c.Get("HX-Request") == "true" {
		return Render(c, status, views.Error(props))
	}
	return Render(c, status, views.ErrorPage(props))
}

// doneText is the confirmation a page shows after a redirect with
// ?done=<key>. Only these fixed texts can appear: the query never reaches
// the page as text.
var doneText = map[string]string{
	"tenant-created": "Tenant created. Add an endpoint so its events go somewhere.", "tenant-saved": "Tenant saved.",
	"tenant-paused": "Tenant paused: its events are held until you resume it.", "tenant-resumed": "Tenant resumed; held deliveries are released.",
	"tenant-reenabled": "Tenant active again: new events are forwarded. Events recorded while it was disabled are not sent; deliveries that failed with \"tenant disabled\" can be retried from Deliveries.",
	"tenant-disabled":  "Tenant disabled: its events are recorded and not forwarded.", "endpoint-saved": "Endpoint saved.",
	"endpoint-deleted": "Endpoint deleted.", "mapping-saved": "Mapping saved as a new version.", "mapping-restored": "Version restored as the current mapping.",
	"source-revoked": "Secret revoked.", "user-disabled": "User disabled and signed out everywhere.", "user-enabled": "User enabled.",
	"token-revoked": "API token revoked.", "tenant-credentials-saved": "Credentials saved. They are stored sealed and never shown again.",
	"tenant-deleted": "Tenant deleted.", "user-saved": "User saved. A changed role or tenant scope signed them out everywhere.",
	"password-changed": "Password changed. You were signed out everywhere: sign in with the new one.",
	"delivery-retried": "Delivery queued for another attempt.",
	"held-delivered":   "The held events are attached to this tenant and queued for delivery.",
	"bulk-retried":     "The failed deliveries that matched are queued for another attempt; they are listed here as pending.",
}

// Done returns path with the confirmation key for the next page's flash.
func Done(path, key string) string {
	if strings.Contains(path, "?") {
		return path + "&done=" + key
	}
	return path + "?done=" + key
}

// Meta is what every page needs: title, nav section, the signed-in user
// with what their role may do, the CSRF token and the asset URLs.
func Meta(c *fiber.Ctx, title, active string) views.Meta {
	csrf, _ := c.Locals(csrfKey).(string)
	m := views.Meta{Title: title, Active: active, CSRF: csrf, Assets: views.Assets{
		CSS: static.URL("app.css"), HTMX: static.URL("htmx.min.js"), JS: static.URL("app.js"), Icon: static.URL("favicon.svg"),
	}}
	if text, ok := doneText[c.Query("done")]; ok {
		m.Flashes = append(m.Flashes, views.Flash{Kind: views.FlashSuccess, Text: text})
	}
	if p := FromCtx(c); p != nil {
		name := p.Name
		if name == "" {
			name = p.Email
		}
		m.User = &views.User{Name: name, Email: p.Email, Role: string(p.Role), SignOutURL: SignOutPath,
			CanEdit: p.Can(PermEditConfig), CanManage: p.Can(PermManageUsers)}
	}
	return m
}

// Render writes comp as an HTML response with status.
func Render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Type("html", "utf-8")
	return comp.Render(renderCtx(c), c.Response().BodyWriter())
}

func renderCtx(c *fiber.Ctx) context.Context {
	if ctx := c.UserContext(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// FormErrors splits a validation error into messages per form field (the
// problem's detail fields, with any "prefix." removed) and a message for
// the whole form. ok is false for errors that are not the user's input
// (those go to the error handler).
func FormErrors(err error) (fields map[string]string, msg string, ok bool) {
	p, isProblem := problem.As(err)
	if !isProblem {
		return nil, "", false
	}
	switch p.Code {
	case problem.CodeInvalid, problem.CodeBadRequest, problem.CodeConflict:
	default:
		return nil, "", false
	}
	fields = map[string]string{}
	for _, d := range p.Details {
		f := d.Field
		if i := strings.LastIndexByte(f, '.'); i >= 0 && !strings.Contains(f, "[") {
			f = f[i+1:]
		}
		if _, dup := fields[f]; !dup {
			fields[f] = d.Reason
		}
	}
	if len(fields) == 0 {
		msg = p.Message
	}
	return fields, msg, true
}

// csrfPage answers an admin form refused for its CSRF token: the form
// was served for another session (a sign-in or sign-out in another tab
// since) or before a restart with a new key, so it can only be sent again
// from a freshly loaded page. A browser gets the error page (403) saying
// so, with the current session's token for its header and a link back to
// the page the form was on; an htmx request the fragment; a client asking
// for JSON (or naming no HTML, like curl) the JSON problem, as before.
func (s *Service) csrfPage(c *fiber.Ctx) error {
	accept := c.Get(fiber.HeaderAccept)
	asksJSON := strings.Contains(accept, fiber.MIMEApplicationJSON) && !strings.Contains(accept, "text/html")
	htmx := c.Get("HX-Request") == "true"
	if asksJSON || (!htmx && !WantsHTML(c)) {
		return errCSRF()
	}
	SecurityHeaders(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Locals(csrfKey, s.CSRFToken(c))
	props := views.ErrorProps{Meta: Meta(c, "Form expired", ""), Status: fiber.StatusForbidden, Title: "This form has expired",
		Message: "Nothing was changed. The page this form was on no longer matches your session (you signed in or out in " +
			"another tab, or it was open for a long time), so its security token (CSRF) was refused. Reload the page and send the form again."}
	if back := s.refererPath(c); back != "" {
		props.Back = &views.Link{Label: "Reload the page", URL: back}
	}
	if htmx {
		return Render(c, fiber.StatusForbidden, views.Error(props))
	}
	return Render(c, fiber.StatusForbidden, views.ErrorPage(props))
}

// refererPath is the local page the request came from ("" when the
// Referer is absent, another site's, or not a local path SafeNext accepts).
func (s *Service) refererPath(c *fiber.Ctx) string {
	u, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || u.Path == "" || (u.Host != "" && !s.ownOrigin(c, u.Scheme+"://"+u.Host)) {
		return ""
	}
	if p := SafeNext(u.RequestURI()); p == u.RequestURI() {
		return p
	}
	return ""
}

// WantsHTML reports whether the request comes from a browser page (a form
// post or navigation) rather than a JSON client.
func WantsHTML(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
