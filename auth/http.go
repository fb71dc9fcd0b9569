package auth

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
)

// Routes mounts the accounts API on r (the /api/v1 group, behind Middleware).
func Routes(r fiber.Router, s *Service) {
	r.Post("/auth/login", s.handleLogin)
	r.Post("/auth/logout", s.handleLogout)
	r.Post("/auth/logout-all", s.handleLogoutAll)
	r.Post("/auth/token", s.handleScriptToken)
	r.Get("/auth/setup", s.handleSetupCheck)
	r.Post("/auth/setup", s.handleSetupComplete)
	r.Get("/me", s.handleMe)
	r.Get("/users", s.handleUserIndex)
	r.Post("/users", s.handleUserCreate)
	r.Get("/users/:id", s.handleUserShow)
	r.Patch("/users/:id", s.handleUserUpdate)
	r.Get("/tokens", s.handleTokenIndex)
	r.Post("/tokens", s.handleTokenCreate)
	r.Delete("/tokens/:id", s.handleTokenRevoke)
	r.Get("/audit", s.handleAuditIndex)
	r.Get("/audit.csv", s.handleAuditExport)
}

// credentials is the body of login and token requests.
type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// sessionBody answers a browser sign-in.
type sessionBody struct {
	User      *User  `json:"user"`
	CSRFToken string `json:"csrf_token"`
}

func (s *Service) handleLogin(c *fiber.Ctx) error {
	var in credentials
	if err := bindCredentials(c, &in); err != nil {
		return err
	}
	u, csrf, err := s.SignIn(c, in.Email, in.Password)
	if err != nil {
		return err
	}
	return c.JSON(sessionBody{User: u, CSRFToken: csrf})
}

func (s *Service) handleLogout(c *fiber.Ctx) error {
	if err := s.EndSession(c); err != nil {
		return err
	}
	if p := FromCtx(c); p != nil {
		if err := Audit(c, "auth.logout", 0, "user:"+itoa(p.UserID), nil, nil); err != nil {
			return err
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// handleLogoutAll ends every session and script token of the caller at once.
func (s *Service) handleLogoutAll(c *fiber.Ctx) error {
	p, err := Require(c, PermRead)
	if err != nil {
		return err
	}
	if err := s.store.BumpTokenVersion(c.UserContext(), p.UserID); err != nil {
		return err
	}
	if err := s.EndSession(c); err != nil {
		return err
	}
	if err := Audit(c, "auth.logout_all", 0, "user:"+itoa(p.UserID), nil, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// handleScriptToken trades email and password for a short-lived Bearer JWT.
func (s *Service) handleScriptToken(c *fiber.Ctx) error {
	var in credentials
	if err := bindCredentials(c, &in); err != nil {
		return err
	}
	u, err := s.Login(c.UserContext(), in.Email, in.Password, c.IP())
	if err != nil {
		return err
	}
	now := s.now()
	tok, err := s.keys.sign(u, kindScript, "", now, now, ScriptTokenTTL)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"token": tok, "token_type": "Bearer", "expires_at": now.Add(ScriptTokenTTL).UTC().Format(time.RFC3339)})
}

type setupBody struct {
	Token    string `json:"token" form:"token"`
	Email    string `json:"email" form:"email"`
	Name     string `json:"name" form:"name"`
	Password string `json:"password" form:"password"`
}

func (s *Service) handleSetupCheck(c *fiber.Ctx) error {
	if err := s.CheckSetupToken(c.UserContext(), c.Query("token")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"valid": true})
}

func (s *Service) handleSetupComplete(c *fiber.Ctx) error {
	var in setupBody
	if err := bindForm(c, &in); err != nil {
		return err
	}
	u, csrf, err := s.Setup(c, in.Token, in.Email, in.Name, in.Password)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(sessionBody{User: u, CSRFToken: csrf})
}

// meBody describes the caller.
type meBody struct {
	UserID      int64        `json:"user_id"`
	Email       string       `json:"email"`
	Name        string       `json:"name"`
	Role        Role         `json:"role"`
	TenantIDs   []int64      `json:"tenant_ids"`
	TokenID     int64        `json:"token_id,omitempty"`
	Permissions []Permission `json:"permissions"`
	CSRFToken   string       `json:"csrf_token,omitempty"`
}

func (s *Service) handleMe(c *fiber.Ctx) error {
	p, err := Require(c, PermRead)
	if err != nil {
		return err
	}
	return c.JSON(meBody{UserID: p.UserID, Email: p.Email, Name: p.Name, Role: p.Role, TenantIDs: p.TenantIDs,
		TokenID: p.TokenID, Permissions: grants[p.Role], CSRFToken: s.CSRFToken(c)})
}

// bindCredentials reads credentials, both required, from JSON only: a
// cross-site HTML form can't send JSON without a CORS preflight, so another
// site can't sign a browser in to an account of its choosing (login CSRF).
// The UI's sign-in form goes through SignIn with its own CSRF check.
func bindCredentials(c *fiber.Ctx, in *credentials) error {
	if err := bindJSON(c, in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Email) == "" || in.Password == "" {
		return problem.Invalid("email", "email and password are required")
	}
	return nil
}

// bindForm reads a JSON body or an HTML form into v.
func bindForm(c *fiber.Ctx, v any) error {
	ct := c.Get(fiber.HeaderContentType)
	if strings.HasPrefix(ct, fiber.MIMEApplicationForm) || strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
		if err := c.BodyParser(v); err != nil {
			return problem.BadRequest("body", "is not a readable form")
		}
		return nil
	}
	return bindJSON(c, v)
}

// bindJSON decodes a JSON body strictly (unknown fields are a 400).
func bindJSON(c *fiber.Ctx, v any) error {
	return problem.DecodeJSON(c.Get(fiber.HeaderContentType), c.Body(), v)
}

// SetupRoutes mounts the first-run endpoints outside /api/v1: GET
// /setup?token= (JSON: is the link still good?) and POST /setup (token,
// email, name, password as JSON or a form: creates the first admin and
// signs them in). The UI replaces GET /setup with its page and posts its
// form to POST /setup (a browser, Accept: text/html, gets the pages).
func SetupRoutes(r fiber.Router, s *Service) {
	r.Get("/setup", func(c *fiber.Ctx) error {
		if WantsHTML(c) {
			return s.handleSetupPage(c)
		}
		return s.handleSetupCheck(c)
	})
	r.Post("/setup", func(c *fiber.Ctx) error {
		if WantsHTML(c) {
			return s.handleSetupForm(c)
		}
		return s.handleSetupComplete(c)
	})
}
