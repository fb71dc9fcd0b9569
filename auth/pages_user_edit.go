package auth

import (
	"context"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// TenantName is one tenant as the users page's scope checkboxes list it.
type TenantName struct {
	ID   int64
	Name string
}

// TenantNamesFunc lists the tenants a user may be limited to (auth can't
// import tenants; main wires it).
type TenantNamesFunc func(ctx context.Context) ([]TenantName, error)

// SetTenantNames gives the users pages their tenant checkboxes; without it
// they offer no scope (every user sees every tenant).
func (s *Service) SetTenantNames(f TenantNamesFunc) { s.tenantNames = f }

// tenantChecks is the scope checkbox group with selected ticked.
func (s *Service) tenantChecks(ctx context.Context, id string, selected []int64, errMsg string) (views.Field, error) {
	f := views.Field{ID: id, Name: "tenant_ids", Label: "Tenants", Error: errMsg,
		Hint: "None ticked: every tenant. Support and viewers can be limited; admins always see every tenant."}
	if s.tenantNames == nil {
		return f, nil
	}
	names, err := s.tenantNames(ctx)
	if err != nil {
		return f, err
	}
	for _, t := range names {
		f.Options = append(f.Options, views.Option{Value: itoa(t.ID), Label: t.Name, Selected: slices.Contains(selected, t.ID)})
	}
	return f, nil
}

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
	return s.renderUserEdit(c, fiber.StatusOK, u, string(u.Role), u.TenantIDs, nil, "")
}

func (s *Service) renderUserEdit(c *fiber.Ctx, status int, u *User, role string, ids []int64, errs map[string]string, msg string) error {
	tenants, err := s.tenantChecks(c.UserContext(), "user-edit-tenants", ids, errs["tenant_ids"])
	if err != nil {
		return err
	}
	p := views.UserEdit{Meta: Meta(c, "Edit user", views.NavUsers), Email: u.Email, Name: u.Name, Action: "/admin/users/" + itoa(u.ID),
		Role: roleField("user-edit-role", role, errs["role"]), Tenants: tenants, Error: msg}
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
	ids, err := formTenantIDs(c)
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
	return s.renderUserEdit(c, fiber.StatusUnprocessableEntity, u, string(role), ids, errs, msg)
}
