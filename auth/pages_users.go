package auth

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/views"
)

// UserPageRoutes mounts the users and API tokens page and the audit log
// under admin. Every route needs PermManageUsers, like the API.
func UserPageRoutes(admin fiber.Router, s *Service) {
	admin.Get("/users", s.handleUsersPage)
	admin.Post("/users", s.handleUserCreatePage)
	admin.Get("/users/:id", s.handleUserEditPage)
	admin.Post("/users/:id", s.handleUserUpdatePage)
	admin.Post("/users/:id/disable", s.handleUserDisabledPage(true))
	admin.Post("/users/:id/enable", s.handleUserDisabledPage(false))
	admin.Post("/tokens", s.handleTokenCreatePage)
	admin.Post("/tokens/:id/revoke", s.handleTokenRevokePage)
	admin.Get("/audit", s.handleAuditPage)
}

// usersForm is what the two forms of the users page show.
type usersForm struct {
	email, name, role, tokenName, tokenRole string
	scope                                   scopeForm
	userErrs, tokenErrs                     map[string]string
	userMsg, tokenMsg                       string
	secret                                  *views.Secret
}

func roleField(id, current, errMsg string) views.Field {
	f := views.Field{ID: id, Name: "role", Label: "Role", Error: errMsg,
		Hint: "admin: everything; support: read, retry and replay; viewer: read-only."}
	for _, r := range []Role{RoleViewer, RoleSupport, RoleAdmin} {
		f.Options = append(f.Options, views.Option{Value: string(r), Label: string(r), Selected: string(r) == current})
	}
	return f
}

func (s *Service) usersProps(c *fiber.Ctx, f usersForm) (views.Users, error) {
	p := views.Users{Meta: Meta(c, "Users & tokens", views.NavUsers), UserAction: "/admin/users", TokenAction: "/admin/tokens",
		UserEmail: views.Field{ID: "user-email", Name: "email", Label: "Email", Type: "email", Value: f.email, Error: f.userErrs["email"], Required: true},
		UserName:  views.Field{ID: "user-name", Name: "name", Label: "Name", Value: f.name, Error: f.userErrs["name"]},
		UserRole:  roleField("user-role", f.role, f.userErrs["role"]), UserError: f.userMsg,
		TokenName: views.Field{ID: "token-name", Name: "name", Label: "Token name", Value: f.tokenName, Error: f.tokenErrs["name"], Required: true},
		TokenRole: roleField("token-role", f.tokenRole, f.tokenErrs["role"]), TokenError: f.tokenMsg,
		NewSecret: f.secret, CanManage: Can(c, PermManageUsers)}
	ctx := c.UserContext()
	var err error
	if p.UserTenants, p.UserTenantSearch, err = s.scopePicker(ctx, "user-tenants", f.scope, f.userErrs["tenant_ids"]); err != nil {
		return p, err
	}
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return p, err
	}
	names, err := s.scopeNames(ctx, users)
	if err != nil {
		return p, err
	}
	emails := map[int64]string{}
	me := FromCtx(c)
	for _, u := range users {
		emails[u.ID] = u.Email
		row := views.UserRow{Name: u.Name, Email: u.Email, Role: string(u.Role), Tenants: scopeText(u.TenantIDs, names), Disabled: u.Disabled,
			LastLogin: when(u.LastLoginAt)}
		base := "/admin/users/" + itoa(u.ID)
		row.EditURL = base
		switch {
		case u.Disabled:
			row.EnableURL = base + "/enable"
		case me == nil || me.UserID != u.ID:
			row.DisableURL = base + "/disable"
		}
		p.Users = append(p.Users, row)
	}
	tokens, err := s.store.ListTokens(ctx, 0)
	if err != nil {
		return p, err
	}
	for _, t := range tokens {
		if t.RevokedAt != nil {
			continue
		}
		p.Tokens = append(p.Tokens, views.TokenRow{Name: t.Name + " (" + t.Hint + ")", Role: string(t.Role), Owner: emails[t.UserID],
			Created: t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), LastUsed: when(t.LastUsedAt),
			RevokeURL: "/admin/tokens/" + itoa(t.ID) + "/revoke"})
	}
	return p, nil
}

func (s *Service) renderUsers(c *fiber.Ctx, status int, f usersForm) error {
	p, err := s.usersProps(c, f)
	if err != nil {
		return err
	}
	if f.secret != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return Render(c, status, views.UsersPage(p))
}

func (s *Service) handleUsersPage(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	return s.renderUsers(c, fiber.StatusOK, usersForm{role: string(RoleSupport), tokenRole: string(RoleViewer)})
}

// handleUserCreatePage creates an account with a generated password, shown once.
func (s *Service) handleUserCreatePage(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	f := usersForm{email: c.FormValue("email"), name: c.FormValue("name"), role: c.FormValue("role"), tokenRole: string(RoleViewer)}
	pw := GeneratePassword()
	var err error
	f.scope, err = s.formScope(c)
	if err == nil {
		err = s.checkTenantIDs(c.UserContext(), f.scope.ids, nil)
	}
	var u *User
	if err == nil {
		u, err = s.CreateUser(c.UserContext(), &User{Email: f.email, Name: f.name, Role: Role(f.role), TenantIDs: f.scope.ids}, pw)
	}
	if err != nil {
		var ok bool
		if f.userErrs, f.userMsg, ok = FormErrors(err); !ok {
			return err
		}
		return s.renderUsers(c, fiber.StatusUnprocessableEntity, f)
	}
	if err := Audit(c, "user.create", 0, "user:"+itoa(u.ID), nil, u); err != nil {
		return err
	}
	return s.renderUsers(c, fiber.StatusCreated, usersForm{role: string(RoleSupport), tokenRole: string(RoleViewer),
		secret: &views.Secret{ID: "new-password", Label: "Password for " + u.Email, Value: pw,
			Note: "Give it to them over a safe channel; it is shown only now, and they can change it on their Account page."}})
}

func (s *Service) handleUserDisabledPage(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := Require(c, PermManageUsers); err != nil {
			return err
		}
		id, err := idParam(c, "user")
		if err != nil {
			return err
		}
		before, after, err := s.store.UpdateUser(c.UserContext(), id, UserUpdate{Disabled: &disabled})
		if err != nil {
			return err
		}
		if err := Audit(c, "user.update", 0, "user:"+itoa(id), before, after); err != nil {
			return err
		}
		key := "user-enabled"
		if disabled {
			key = "user-disabled"
		}
		return c.Redirect(Done("/admin/users", key), fiber.StatusSeeOther)
	}
}

// handleTokenCreatePage creates an API token for the signed-in admin and shows it once.
func (s *Service) handleTokenCreatePage(c *fiber.Ctx) error {
	p, err := Require(c, PermManageUsers)
	if err != nil {
		return err
	}
	f := usersForm{tokenName: c.FormValue("name"), tokenRole: c.FormValue("role"), role: string(RoleSupport)}
	t, err := newAPIToken(p, tokenCreateBody{Name: f.tokenName, Role: Role(f.tokenRole)}, s.now())
	if err != nil {
		var ok bool
		if f.tokenErrs, f.tokenMsg, ok = FormErrors(err); !ok {
			return err
		}
		return s.renderUsers(c, fiber.StatusUnprocessableEntity, f)
	}
	secret, hash := NewSecretToken(TokenPrefix)
	t.TokenHash, t.Hint = hash, tokenHint(secret)
	if err := s.store.CreateToken(c.UserContext(), t); err != nil {
		return err
	}
	if err := Audit(c, "token.create", 0, "token:"+itoa(t.ID), nil, t); err != nil {
		return err
	}
	return s.renderUsers(c, fiber.StatusCreated, usersForm{role: string(RoleSupport), tokenRole: string(RoleViewer),
		secret: &views.Secret{ID: "new-token", Label: "API token " + t.Name, Value: secret,
			Note: "Send it as Authorization: Bearer. It is shown only now."}})
}

func (s *Service) handleTokenRevokePage(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	id, err := idParam(c, "token")
	if err != nil {
		return err
	}
	t, err := s.store.RevokeToken(c.UserContext(), id, 0)
	if err != nil {
		return err
	}
	if err := Audit(c, "token.revoke", 0, "token:"+itoa(t.ID), nil, nil); err != nil {
		return err
	}
	return c.Redirect(Done("/admin/users", "token-revoked"), fiber.StatusSeeOther)
}

// when formats an optional time for a table ("" for never).
func when(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
