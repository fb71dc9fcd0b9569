package auth

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
)

type userCreateBody struct {
	Email     string  `json:"email"`
	Name      string  `json:"name"`
	Role      Role    `json:"role"`
	TenantIDs []int64 `json:"tenant_ids"`
	Password  string  `json:"password"` // empty: one is generated and returned once
}

func (s *Service) handleUserIndex(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	users, err := s.store.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": users})
}

func (s *Service) handleUserCreate(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	var in userCreateBody
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := s.checkTenantIDs(c.UserContext(), in.TenantIDs, nil); err != nil {
		return err
	}
	pw, generated := in.Password, in.Password == ""
	if generated {
		pw = GeneratePassword()
	}
	u, err := s.CreateUser(c.UserContext(), &User{Email: in.Email, Name: in.Name, Role: in.Role, TenantIDs: in.TenantIDs}, pw)
	if err != nil {
		return err
	}
	if err := Audit(c, "user.create", 0, "user:"+itoa(u.ID), nil, u); err != nil {
		return err
	}
	out := fiber.Map{"user": u}
	if generated {
		out["password"] = pw // shown once, never stored in clear
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Service) handleUserShow(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	id, err := idParam(c, "user")
	if err != nil {
		return err
	}
	u, err := s.store.FindUser(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

// userPatchBody: absent fields stay; "tenant_ids": null lifts a tenant limit.
type userPatchBody struct {
	Name      *string         `json:"name"`
	Role      *Role           `json:"role"`
	TenantIDs json.RawMessage `json:"tenant_ids"`
	Disabled  *bool           `json:"disabled"`
	Password  *string         `json:"password"`
}

func (s *Service) handleUserUpdate(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	id, err := idParam(c, "user")
	if err != nil {
		return err
	}
	var in userPatchBody
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	up, err := in.update()
	if err != nil {
		return err
	}
	if up.TenantIDs != nil {
		u, err := s.store.FindUser(c.UserContext(), id)
		if err != nil {
			return err
		}
		if err := s.checkTenantIDs(c.UserContext(), *up.TenantIDs, u.TenantIDs); err != nil {
			return err
		}
	}
	before, after, err := s.store.UpdateUser(c.UserContext(), id, up)
	if err != nil {
		return err
	}
	if err := Audit(c, "user.update", 0, "user:"+itoa(id), before, after); err != nil {
		return err
	}
	return c.JSON(after)
}

func (in userPatchBody) update() (UserUpdate, error) {
	up := UserUpdate{Name: in.Name, Role: in.Role, Disabled: in.Disabled}
	if in.TenantIDs != nil {
		var ids []int64
		if err := json.Unmarshal(in.TenantIDs, &ids); err != nil {
			return up, problem.Invalid("tenant_ids", "must be a list of tenant ids or null")
		}
		up.TenantIDs = &ids
	}
	if in.Password != nil {
		if err := ValidatePassword(*in.Password); err != nil {
			return up, err
		}
		hash, err := HashPassword(*in.Password)
		if err != nil {
			return up, err
		}
		up.PasswordHash = &hash
	}
	return up, nil
}

type tokenCreateBody struct {
	Name          string  `json:"name"`
	Role          Role    `json:"role"`
	TenantIDs     []int64 `json:"tenant_ids"`
	ExpiresInDays int     `json:"expires_in_days"` // 0: never
}

func (s *Service) handleTokenIndex(c *fiber.Ctx) error {
	p, err := Require(c, PermRead)
	if err != nil {
		return err
	}
	owner := p.UserID
	if p.Can(PermManageUsers) {
		owner = 0 // admins see every token
	}
	ts, err := s.store.ListTokens(c.UserContext(), owner)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ts})
}

func (s *Service) handleTokenCreate(c *fiber.Ctx) error {
	p, err := Require(c, PermRead)
	if err != nil {
		return err
	}
	if p.TokenID != 0 {
		return &problem.Error{Code: problem.CodeForbidden, Message: "an API token cannot create API tokens; sign in"}
	}
	var in tokenCreateBody
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err := newAPIToken(p, in, s.now())
	if err != nil {
		return err
	}
	if err := s.checkTenantIDs(c.UserContext(), in.TenantIDs, nil); err != nil {
		return err
	}
	secret, hash := NewSecretToken(TokenPrefix)
	t.TokenHash, t.Hint = hash, tokenHint(secret)
	if err := s.store.CreateToken(c.UserContext(), t); err != nil {
		return err
	}
	if err := Audit(c, "token.create", 0, "token:"+itoa(t.ID), nil, t); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"token": secret, "api_token": t})
}

// newAPIToken validates a token request against its creator.
func newAPIToken(p *Principal, in tokenCreateBody, now time.Time) (*APIToken, error) {
	switch {
	case in.Name == "" || len(in.Name) > 100:
		return nil, problem.Invalid("name", "is required (at most 100 characters)")
	case !in.Role.Valid():
		return nil, problem.Invalid("role", "must be admin, support or viewer")
	case rank(in.Role) > rank(p.Role):
		return nil, &problem.Error{Code: problem.CodeForbidden, Message: "a token's role cannot exceed your own"}
	case in.ExpiresInDays < 0 || in.ExpiresInDays > 3650:
		return nil, problem.Invalid("expires_in_days", "must be between 0 (never) and 3650")
	}
	if err := validTenantIDs(in.Role, in.TenantIDs); err != nil {
		return nil, err
	}
	for _, id := range in.TenantIDs {
		if !p.SeesTenant(id) {
			return nil, problem.Invalid("tenant_ids", "names a tenant outside your scope")
		}
	}
	t := &APIToken{UserID: p.UserID, Name: in.Name, Role: in.Role, TenantIDs: in.TenantIDs}
	if t.TenantIDs == nil && p.TenantIDs != nil {
		t.TenantIDs = p.TenantIDs
	}
	if in.ExpiresInDays > 0 {
		exp := now.UTC().AddDate(0, 0, in.ExpiresInDays)
		t.ExpiresAt = &exp
	}
	return t, nil
}

func (s *Service) handleTokenRevoke(c *fiber.Ctx) error {
	p, err := Require(c, PermRead)
	if err != nil {
		return err
	}
	id, err := idParam(c, "token")
	if err != nil {
		return err
	}
	owner := p.UserID
	if p.Can(PermManageUsers) {
		owner = 0
	}
	t, err := s.store.RevokeToken(c.UserContext(), id, owner)
	if err != nil {
		return err
	}
	if err := Audit(c, "token.revoke", 0, "token:"+itoa(t.ID), nil, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// idParam parses a positive id route parameter; anything else is NotFound(what).
func idParam(c *fiber.Ctx, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound(what)
	}
	return id, nil
}
