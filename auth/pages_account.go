package auth

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// AccountPath is the signed-in user's own page: who they are and their password.
const AccountPath = "/admin/account"

// AccountPageRoutes mounts the account page under admin; any signed-in user
// may use it, whatever their role.
func AccountPageRoutes(admin fiber.Router, s *Service) {
	admin.Get("/account", s.handleAccountPage)
	admin.Post("/account/password", s.handlePasswordChangePage)
}

// ChangePassword sets user id's own password once current matches. A wrong
// current password counts as a failed sign-in (the same lockout, so a left-open
// session can't be used to guess it). The new password ends every session and
// script token of the user, the caller's included.
func (s *Service) ChangePassword(ctx context.Context, id int64, ip, current, next, confirm string) error {
	u, err := s.store.FindUser(ctx, id)
	if err != nil {
		return err
	}
	acct, addr := "acct:"+u.Email, "addr:"+ip
	if wait := max(s.limit.wait(acct, AccountFailures), s.limit.wait(addr, AddressFailures)); wait > 0 {
		return &problem.Error{Code: problem.CodeRateLimited, Message: "too many wrong passwords; try again later",
			RetryAfter: int(wait.Seconds()) + 1}
	}
	if !CheckPassword(u.PasswordHash, current) {
		s.limit.fail(acct)
		s.limit.fail(addr)
		return problem.Invalid("current_password", "is not your current password")
	}
	if err := ValidatePassword(next); err != nil {
		return problem.Invalid("new_password", "must be at least "+itoa(int64(MinPasswordLen))+" characters and at most 1024 bytes")
	}
	switch {
	case next == current:
		return problem.Invalid("new_password", "is your current password")
	case next != confirm:
		return problem.Invalid("confirm_password", "does not match the new password")
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	_, _, err = s.store.UpdateUser(ctx, id, UserUpdate{PasswordHash: &hash})
	return err
}

func (s *Service) handleAccountPage(c *fiber.Ctx) error {
	p, err := Require(c, PermRead)
	if err != nil {
		return err
	}
	return s.renderAccount(c, fiber.StatusOK, p, nil, "")
}

func (s *Service) renderAccount(c *fiber.Ctx, status int, p *Principal, errs map[string]string, msg string) error {
	scope := "every tenant"
	if p.TenantIDs != nil {
		scope = itoa(int64(len(p.TenantIDs))) + " tenant(s)"
	}
	props := views.Account{Meta: Meta(c, "Your account", ""), Email: p.Email, Name: p.Name, Role: string(p.Role), Scope: scope,
		Action: AccountPath + "/password", Error: msg,
		Current: views.Field{ID: "current-password", Name: "current_password", Label: "Current password", Type: "password",
			Autocomplete: "current-password", Required: true, Error: errs["current_password"]},
		New: views.Field{ID: "new-password", Name: "new_password", Label: "New password", Type: "password",
			Autocomplete: "new-password", Required: true, Error: errs["new_password"],
			Hint: "At least " + itoa(int64(MinPasswordLen)) + " characters."},
		Confirm: views.Field{ID: "confirm-password", Name: "confirm_password", Label: "New password again", Type: "password",
			Autocomplete: "new-password", Required: true, Error: errs["confirm_password"]}}
	return Render(c, status, views.AccountPage(props))
}

// handlePasswordChangePage changes the caller's password, then sends them to
// sign in again: the change ended this session too.
func (s *Service) handlePasswordChangePage(c *fiber.Ctx) error {
	p, err := Require(c, PermRead)
	if err != nil {
		return err
	}
	if p.TokenID != 0 {
		return problem.Forbidden() // an API token is not the user at a browser
	}
	err = s.ChangePassword(c.UserContext(), p.UserID, c.IP(), c.FormValue("current_password"),
		c.FormValue("new_password"), c.FormValue("confirm_password"))
	if err == nil {
		if err := Audit(c, "user.password_change", 0, "user:"+itoa(p.UserID), nil, nil); err != nil {
			return err
		}
		if err := s.EndSession(c); err != nil {
			return err
		}
		return c.Redirect(Done(LoginPath, "password-changed"), fiber.StatusSeeOther)
	}
	if pr, ok := problem.As(err); ok && pr.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, itoa(int64(pr.RetryAfter)))
		return s.renderAccount(c, fiber.StatusTooManyRequests, p, nil, pr.Message)
	}
	errs, msg, ok := FormErrors(err)
	if !ok {
		return err
	}
	return s.renderAccount(c, fiber.StatusUnprocessableEntity, p, errs, msg)
}
