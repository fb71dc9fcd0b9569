package auth

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// The functions below are what the UI's sign-in and setup pages call; the
// JSON handlers in http.go use the same ones.

// SignIn checks email and password from the request's address and, when
// they match, starts a browser session (sets the cookie). It returns the
// user and the CSRF token for the next page's forms, or the same errors as
// Login (401 generic, 429 throttled): re-render the form with the message.
func (s *Service) SignIn(c *fiber.Ctx, email, password string) (*User, string, error) {
	u, err := s.Login(c.UserContext(), email, password, c.IP())
	if err != nil {
		return nil, "", err
	}
	csrf, err := s.StartSession(c, u)
	if err != nil {
		return nil, "", err
	}
	return u, csrf, nil
}

// Setup creates the first admin from the setup link's token and signs them
// in. Errors: 401 for a bad/used/expired token, 409 once an account exists,
// 422 for a bad email or short password.
func (s *Service) Setup(c *fiber.Ctx, token, email, name, password string) (*User, string, error) {
	u, err := s.CompleteSetup(c.UserContext(), token, &User{Email: email, Name: name}, password)
	if err != nil {
		return nil, "", err
	}
	csrf, err := s.StartSession(c, u)
	if err != nil {
		return nil, "", err
	}
	return u, csrf, nil
}

// RequireSignIn guards pages (mount it after Middleware on /admin): a
// request without a principal is redirected to loginPath?next=<path> when
// it is a GET, and refused with 401 otherwise. An htmx request (a filter
// change or a pager click after the session ended) gets the 401 with
// HX-Redirect, so the browser goes to sign in: a redirect would be followed
// inside the XHR and the sign-in page swapped in as an empty table.
func RequireSignIn(loginPath string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if FromCtx(c) != nil {
			return c.Next()
		}
		if c.Get("HX-Request") == "true" {
			next := c.OriginalURL() // a GET names the list it asked for
			if c.Method() != fiber.MethodGet {
				next = "/admin" // back to the page the form was on, when the browser says which
				if u, err := url.Parse(c.Get("HX-Current-URL")); err == nil && u.Path != "" {
					next = u.RequestURI()
				}
			}
			c.Set("HX-Redirect", loginPath+"?next="+url.QueryEscape(SafeNext(next)))
			return problem.Unauthorized("sign in first")
		}
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
			return c.Redirect(loginPath+"?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return problem.Unauthorized("sign in first")
	}
}

// SafeNext returns next when it is a local path ("/admin/…"), else "/admin":
// the sign-in page follows ?next= only through it, so it can't become an
// open redirect ("//evil.example", "https://…", "/\evil"). A control
// character or backslash anywhere refuses it too: browsers drop tabs and
// newlines inside a URL ("/\t/evil.example" is "//evil.example" to them)
// and read "\" as "/", and a CR or LF would split the Location header.
func SafeNext(next string) string {
	if len(next) < 1 || next[0] != '/' || (len(next) > 1 && next[1] == '/') {
		return "/admin"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/admin"
		}
	}
	return next
}

// PageRoutes mounts the sign-in page on app (outside the gate: nobody is
// signed in yet), and sign-out, users, API tokens and the audit log on
// admin (behind it, so the CSRF token is checked). The setup page shares /setup with the JSON endpoints (see
// SetupRoutes).
func PageRoutes(app fiber.Router, admin fiber.Router, s *Service) {
	app.Get(LoginPath, s.handleSignInPage)
	app.Post(LoginPath, s.handleSignInPost)
	admin.Post("/logout", s.handleSignOut)
	UserPageRoutes(admin, s)
	AccountPageRoutes(admin, s)
}

func (s *Service) handleSignInPage(c *fiber.Ctx) error {
	SecurityHeaders(c)
	p := views.SignIn{Meta: Meta(c, "Sign in", ""), Action: LoginPath, Next: SafeNext(c.Query("next"))}
	return Render(c, fiber.StatusOK, views.SignInPage(p))
}

// errForeignSignIn answers a sign-in or setup form another page posted.
var errForeignSignIn = &problem.Error{Code: problem.CodeForbidden,
	Message: "This sign-in form was not sent from Switchboard's own page. Open the sign-in page and try again. (Operators: behind a proxy that rewrites Host, set SWITCHBOARD_PUBLIC_URL to the address browsers use.)"}

// foreignPost reports a sign-in or setup form post that a page other than
// our own made the browser send (login CSRF: signing the victim into the
// attacker's account). A same-site sibling (evil.example.com next to
// switchboard.example.com) counts too: it shares cookies' site, not our
// origin. Refused: Sec-Fetch-Site same-site or cross-site, and an Origin
// other than ours (ownOrigin). Clients that send neither header (curl,
// scripts, old browsers) pass: a browser always sends Origin on a form POST.
func (s *Service) foreignPost(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "same-site", "cross-site":
		return true
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	if s.ownOrigin(c, origin) {
		return false
	}
	s.log.Warn("Sign-in form refused: its Origin is not this site's.", "origin", origin, "host", c.Hostname(),
		"hint", "behind a proxy that rewrites Host, set SWITCHBOARD_PUBLIC_URL to the address browsers use")
	return true
}

// ownOrigin says whether origin is this site's: the public URL's origin
// (SWITCHBOARD_PUBLIC_URL), or the host the request was sent to (Host, or
// X-Forwarded-Host from a trusted proxy: c.Hostname). The scheme is not
// compared with the request's: behind a TLS-terminating proxy the request
// arrives over http while the page was https, and only a page served from
// this very host can name it; a sibling subdomain differs by host. "null"
// (an opaque origin: a sandboxed frame, a data: URL) is never ours.
func (s *Service) ownOrigin(c *fiber.Ctx, origin string) bool {
	o := originOf(origin)
	if o == "" {
		return false
	}
	if s.publicOrigin != "" && o == s.publicOrigin {
		return true
	}
	_, host, _ := strings.Cut(o, "://")
	return stripDefaultPort(host) == stripDefaultPort(strings.ToLower(c.Hostname()))
}

// originOf returns the scheme://host[:port] of an http(s) URL, lower-cased
// and without a default port, or "" when raw is not one.
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	host := strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

// stripDefaultPort drops :80 or :443 from a Host value, as browsers leave
// the default port out of Origin.
func stripDefaultPort(host string) string {
	if h, ok := strings.CutSuffix(host, ":80"); ok {
		return h
	}
	if h, ok := strings.CutSuffix(host, ":443"); ok {
		return h
	}
	return host
}

func (s *Service) handleSignInPost(c *fiber.Ctx) error {
	SecurityHeaders(c)
	if s.foreignPost(c) {
		return ErrorPage(c, errForeignSignIn)
	}
	email, next := c.FormValue("email"), SafeNext(c.FormValue("next"))
	_, _, err := s.SignIn(c, email, c.FormValue("password"))
	if err == nil {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	p, ok := problem.As(err)
	if !ok {
		return err
	}
	if p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, itoa(int64(p.RetryAfter)))
	}
	props := views.SignIn{Meta: Meta(c, "Sign in", ""), Action: LoginPath, Next: next,
		Email: views.Field{Value: email}, Error: p.Message}
	return Render(c, problem.Status(p.Code), views.SignInPage(props))
}

func (s *Service) handleSignOut(c *fiber.Ctx) error {
	if err := s.EndSession(c); err != nil {
		return err
	}
	if p := FromCtx(c); p != nil { // recorded like the API's logout
		if err := Audit(c, "auth.logout", 0, "user:"+itoa(p.UserID), nil, nil); err != nil {
			return err
		}
	}
	return c.Redirect(LoginPath, fiber.StatusSeeOther)
}

// handleSetupPage shows the first-admin form when the link's token is live.
func (s *Service) handleSetupPage(c *fiber.Ctx) error {
	SecurityHeaders(c)
	token := c.Query("token")
	p := views.Setup{Meta: Meta(c, "Create the first admin", ""), Action: "/setup?token=" + url.QueryEscape(token)}
	if err := s.CheckSetupToken(c.UserContext(), token); err != nil {
		pe, ok := problem.As(err)
		if !ok {
			return err
		}
		p.Error = pe.Message
		return Render(c, problem.Status(pe.Code), views.SetupPage(p))
	}
	return Render(c, fiber.StatusOK, views.SetupPage(p))
}

// handleSetupForm creates the first admin from the setup page's form and
// signs them in; errors re-render the form (422 next to the field).
func (s *Service) handleSetupForm(c *fiber.Ctx) error {
	SecurityHeaders(c)
	if s.foreignPost(c) {
		return ErrorPage(c, errForeignSignIn)
	}
	token := c.Query("token")
	if token == "" {
		token = c.FormValue("token")
	}
	name, email := c.FormValue("name"), c.FormValue("email")
	_, _, err := s.Setup(c, token, email, name, c.FormValue("password"))
	if err == nil {
		return c.Redirect("/admin", fiber.StatusSeeOther)
	}
	fields, msg, ok := FormErrors(err)
	if !ok {
		pe, isProblem := problem.As(err)
		if !isProblem {
			return err
		}
		fields, msg = map[string]string{}, pe.Message
	}
	p := views.Setup{Meta: Meta(c, "Create the first admin", ""), Action: "/setup?token=" + url.QueryEscape(token),
		Name: views.Field{Value: name, Error: fields["name"]}, Email: views.Field{Value: email, Error: fields["email"]},
		Password: views.Field{Error: fields["password"]}, Error: msg}
	return Render(c, fiber.StatusUnprocessableEntity, views.SetupPage(p))
}
