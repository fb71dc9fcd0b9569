package auth

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
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
// it is a GET, and refused with 401 otherwise.
func RequireSignIn(loginPath string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if FromCtx(c) != nil {
			return c.Next()
		}
		if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
			return c.Redirect(loginPath+"?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return problem.Unauthorized("sign in first")
	}
}

// SafeNext returns next when it is a local path ("/admin/…"), else "/admin":
// the sign-in page follows ?next= only through it, so it can't become an
// open redirect ("//evil.example", "https://…", "/\evil").
func SafeNext(next string) string {
	if len(next) < 1 || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return "/admin"
	}
	return next
}
