package auth

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// formTenantIDs reads the ticked tenants; none ticked is nil (every tenant).
func formTenantIDs(c *fiber.Ctx) ([]int64, error) {
	var ids []int64
	for _, v := range c.Request().PostArgs().PeekMulti("tenant_ids") {
		id, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || id <= 0 {
			return nil, problem.Invalid("tenant_ids", "must be tenant ids")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (s *Service) handleUserEditPage(c *fiber.Ctx) error {
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
	return s.renderUserEdit(c, fiber.StatusOK, u, string(u.Role), scopeForm{ids: u.TenantIDs}, nil, "")
}

func (s *Service) renderUserEdit(c *fiber.Ctx, status int, u *User, role string, sf scopeForm, errs map[string]string, msg string) error {
	tenants, search, err := s.scopePicker(c.UserContext(), "user-edit-tenants", sf, errs["tenant_ids"])
	if err != nil {
		return err
	}
	p := views.UserEdit{Meta: Meta(c, "Edit user", views.NavUsers), Email: u.Email, Name: u.Name, Action: "/admin/users/" + itoa(u.ID),
		Role: roleField("user-edit-role", role, errs["role"]), Tenants: tenants, TenantSearch: search, Error: msg}
	return Render(c, status, views.UserEditPage(p))
}

// handleUserUpdatePage changes a user's role and tenant scope (like
// `users set-role`); the store signs them out everywhere when either changes.
func (s *Service) handleUserUpdatePage(c *fiber.Ctx) error {
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
	role := Role(c.FormValue("role"))
	sf, err := s.formScope(c)
	ids := sf.ids
	if err == nil {
		err = s.checkTenantIDs(c.UserContext(), ids, u.TenantIDs)
	}
	if err == nil {
		// The store decides, as for PATCH /api/v1/users/:id and the CLI: an
		// admin with ticked tenants is refused, and only a real change of
		// role or scope signs the user out.
		var before, after *User
		before, after, err = s.store.UpdateUser(c.UserContext(), id, UserUpdate{Role: &role, TenantIDs: &ids})
		if err == nil {
			if err := Audit(c, "user.update", 0, "user:"+itoa(id), before, after); err != nil {
				return err
			}
			return c.Redirect(Done("/admin/users", "user-saved"), fiber.StatusSeeOther)
		}
	}
	errs, msg, ok := FormErrors(err)
	if !ok {
		return err
	}
	return s.renderUserEdit(c, fiber.StatusUnprocessableEntity, u, string(role), sf, errs, msg)
}
