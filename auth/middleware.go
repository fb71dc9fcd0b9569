package auth

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
)

// Cookie and header names.
const (
	SessionCookie = "sb_session"
	CSRFHeader    = "X-CSRF-Token"
	CSRFField     = "csrf_token" // form field name for HTML forms
	sidKey        = "switchboard.sid"
)

// Middleware is the one gate of /api/v1 and /admin. It authenticates the
// caller from "Authorization: Bearer" (an sbt_ API token or a JWT from
// /auth/token) or the session cookie, checks the user still exists, is
// enabled and has not signed out everywhere, sets the Principal, renews a
// session past half its life, and refuses an unsafe method on a cookie
// session without the CSRF token (403). A bad Bearer credential is 401; a
// bad cookie is dropped and the request continues unauthenticated, so
// handlers decide with Require whether that is 401.
func (s *Service) Middleware() fiber.Handler { return s.gate(nil) }

// PageMiddleware is Middleware for the /admin pages: a form refused for
// its CSRF token (the session was renewed by a sign-in in another tab, the
// page stayed open for hours) answers a browser with the admin UI's error
// page saying so (htmx: the fragment), not JSON; a client that asks for
// JSON, or names no HTML, still gets the JSON problem (csrfPage).
func (s *Service) PageMiddleware() fiber.Handler { return s.gate(s.csrfPage) }

// errCSRF refuses an unsafe request riding the session cookie without the
// session's CSRF token.
func errCSRF() *problem.Error {
	return &problem.Error{Code: problem.CodeForbidden, Message: "missing or invalid CSRF token"}
}

// gate is Middleware; refuseCSRF (nil: the JSON problem) answers a request
// refused for its CSRF token.
func (s *Service) gate(refuseCSRF func(*fiber.Ctx) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(auditorKey, s.store)
		if h := c.Get(fiber.HeaderAuthorization); h != "" {
			p, err := s.bearer(c, h)
			if err != nil {
				return err
			}
			SetPrincipal(c, p)
			return c.Next()
		}
		if tok := c.Cookies(SessionCookie); tok != "" {
			csrfOK, err := s.cookieSession(c, tok)
			if err != nil {
				return err
			}
			if !csrfOK && refuseCSRF != nil {
				return refuseCSRF(c)
			} else if !csrfOK {
				return errCSRF()
			}
		}
		return c.Next()
	}
}

// bearer authenticates an Authorization header.
func (s *Service) bearer(c *fiber.Ctx, h string) (*Principal, error) {
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	if !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return nil, problem.Unauthorized("send Authorization: Bearer <token>")
	}
	ctx := c.UserContext()
	if strings.HasPrefix(cred, TokenPrefix) {
		t, err := s.store.FindTokenByHash(ctx, HashToken(cred))
		if err != nil {
			return nil, err
		}
		u, err := s.store.FindUser(ctx, t.UserID)
		if err != nil || u.Disabled {
			return nil, problem.Unauthorized("invalid or revoked API token")
		}
		if err := s.store.TouchToken(ctx, t); err != nil {
			s.log.Warn("Could not record API token use.", "error", err)
		}
		return t.Effective(u), nil
	}
	claims, err := s.keys.parse(cred, s.now())
	if err != nil {
		return nil, err
	}
	u, err := s.liveUser(c, claims)
	if err != nil {
		return nil, err
	}
	return u.Principal(), nil
}

// liveUser loads the claims' user and checks it may still act.
func (s *Service) liveUser(c *fiber.Ctx, claims *sessionClaims) (*User, error) {
	u, err := s.store.FindUser(c.UserContext(), claims.userID())
	if p, ok := problem.As(err); ok && p.Code == problem.CodeNotFound {
		return nil, problem.Unauthorized("invalid or expired session")
	} else if err != nil {
		return nil, err
	}
	if u.Disabled || u.TokenVersion != claims.TokenVersion {
		return nil, problem.Unauthorized("invalid or expired session")
	}
	if claims.Kind == kindSession && claims.SessionID != "" {
		// A signed-out session stays refused, however it is sent (cookie or Bearer).
		revoked, err := s.store.SessionRevoked(c.UserContext(), claims.SessionID)
		if err != nil {
			return nil, err
		}
		if revoked {
			return nil, problem.Unauthorized("invalid or expired session")
		}
	}
	return u, nil
}

// cookieSession authenticates the session cookie, renews it and checks
// CSRF: csrfOK is false for an unsafe request without the session's token
// (the principal is set, the cookie not renewed).
func (s *Service) cookieSession(c *fiber.Ctx, tok string) (csrfOK bool, err error) {
	claims, err := s.keys.parse(tok, s.now())
	if err == nil && claims.Kind != kindSession {
		err = problem.Unauthorized("invalid session")
	}
	var u *User
	if err == nil {
		u, err = s.liveUser(c, claims)
	}
	if p, ok := problem.As(err); ok && p.Code == problem.CodeUnauthorized {
		s.clearCookie(c) // stale or forged: carry on as nobody
		return true, nil
	} else if err != nil {
		return false, err
	}
	SetPrincipal(c, u.Principal())
	c.Locals(sidKey, claims.SessionID)
	if unsafeMethod(c.Method()) && !s.keys.csrfValid(claims.SessionID, csrfFrom(c)) {
		return false, nil
	}
	return true, s.maybeRenew(c, u, claims)
}

// maybeRenew re-issues the cookie once it is past half its life, up to MaxSession after sign-in.
func (s *Service) maybeRenew(c *fiber.Ctx, u *User, claims *sessionClaims) error {
	now := s.now()
	started := time.Unix(claims.Started, 0)
	half := claims.IssuedAt.Add(SessionTTL / 2)
	if now.Before(half) || now.Sub(started) >= MaxSession {
		return nil
	}
	return s.setSession(c, u, claims.SessionID, started)
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

// csrfFrom reads the CSRF token from the header or a form body's field.
// Not c.FormValue: it reads the query string first, so a token in a URL
// (which leaks into logs, history and Referer headers) would count.
func csrfFrom(c *fiber.Ctx) string {
	if v := c.Get(CSRFHeader); v != "" {
		return v
	}
	ct := c.Get(fiber.HeaderContentType)
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		return string(c.Request().PostArgs().Peek(CSRFField))
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		if f, err := c.MultipartForm(); err == nil && len(f.Value[CSRFField]) > 0 {
			return f.Value[CSRFField][0]
		}
	}
	return ""
}

// StartSession signs u in on this browser: it sets the session cookie and
// returns the CSRF token forms and fetches must send back.
func (s *Service) StartSession(c *fiber.Ctx, u *User) (csrf string, err error) {
	sid := newSessionID()
	if err := s.setSession(c, u, sid, s.now()); err != nil {
		return "", err
	}
	c.Locals(sidKey, sid)
	SetPrincipal(c, u.Principal())
	return s.keys.csrfToken(sid), nil
}

func (s *Service) setSession(c *fiber.Ctx, u *User, sid string, started time.Time) error {
	now := s.now()
	tok, err := s.keys.sign(u, kindSession, sid, started, now, SessionTTL)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: SessionCookie, Value: tok, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.secure || c.Protocol() == "https", Expires: now.Add(SessionTTL),
	})
	return nil
}

func (s *Service) clearCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.secure || c.Protocol() == "https", Expires: time.Unix(1, 0), MaxAge: -1})
}

// CSRFToken returns the CSRF token of the request's cookie session ("" for
// Bearer callers and anonymous requests). Templates put it in a hidden
// csrf_token field or the X-CSRF-Token header.
func (s *Service) CSRFToken(c *fiber.Ctx) string {
	sid, _ := c.Locals(sidKey).(string)
	if sid == "" {
		return ""
	}
	return s.keys.csrfToken(sid)
}

// EndSession signs the browser out: it clears the cookie and, when the
// request rode a session, revokes that session's id, so a copy of the cookie
// taken earlier is refused from now on (not only once it expires).
func (s *Service) EndSession(c *fiber.Ctx) error {
	s.clearCookie(c)
	sid, _ := c.Locals(sidKey).(string)
	if sid == "" {
		return nil
	}
	// No copy can outlive a renewal made just now, at most MaxSession after sign-in.
	return s.store.RevokeSession(c.UserContext(), sid, s.now().Add(MaxSession+SessionTTL))
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
