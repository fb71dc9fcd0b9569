// Package auth is the one gate every admin page and API call passes: who the
// caller is (Principal), what their role may do (Permission) and which
// tenants they may see. Handlers ask it; they never decide access themselves.
package auth

import (
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
)

// Role is a user's or token's role.
type Role string

// The roles. Admin does everything; support reads everything and may retry
// and replay deliveries; viewer only reads.
const (
	RoleAdmin   Role = "admin"
	RoleSupport Role = "support"
	RoleViewer  Role = "viewer"
)

// Permission is one kind of action a handler asks about.
type Permission string

// The permissions handlers check.
const (
	PermRead          Permission = "read"           // see tenants, events, deliveries, attempts
	PermRetry         Permission = "retry"          // retry and replay deliveries, deliver held events
	PermEditConfig    Permission = "edit_config"    // change tenants, endpoints, mappings, sources
	PermRevealSecrets Permission = "reveal_secrets" // rotate and see newly created secrets
	PermManageUsers   Permission = "manage_users"   // users, API tokens, audit log
)

var grants = map[Role][]Permission{
	RoleAdmin:   {PermRead, PermRetry, PermEditConfig, PermRevealSecrets, PermManageUsers},
	RoleSupport: {PermRead, PermRetry},
	RoleViewer:  {PermRead},
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := grants[r]; return ok }

// Can reports whether the role grants perm.
func (r Role) Can(perm Permission) bool { return slices.Contains(grants[r], perm) }

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID int64
	Email  string
	Name   string
	Role   Role
	// TenantIDs limits a support or viewer principal to these tenants; nil
	// means every tenant (admins are never limited).
	TenantIDs []int64
	// TokenID is set when the caller used an API token.
	TokenID int64
}

// Can reports whether the principal may perform perm.
func (p *Principal) Can(perm Permission) bool { return p != nil && p.Role.Can(perm) }

// SeesTenant reports whether tenant id is inside the principal's scope.
func (p *Principal) SeesTenant(id int64) bool {
	if p == nil {
		return false
	}
	return p.TenantIDs == nil || slices.Contains(p.TenantIDs, id)
}

const principalKey = "switchboard.principal"

// SetPrincipal records the authenticated caller on the request (the
// authentication middleware calls it).
func SetPrincipal(c *fiber.Ctx, p *Principal) { c.Locals(principalKey, p) }

// FromCtx returns the request's principal, or nil when unauthenticated.
func FromCtx(c *fiber.Ctx) *Principal {
	p, _ := c.Locals(principalKey).(*Principal)
	return p
}

// Require returns the principal when it may perform perm:
// problem.Unauthorized without one, problem.Forbidden when the role lacks perm.
func Require(c *fiber.Ctx, perm Permission) (*Principal, error) {
	p := FromCtx(c)
	if p == nil {
		return nil, problem.Unauthorized("sign in or send an API token")
	}
	if !p.Can(perm) {
		return nil, problem.Forbidden()
	}
	return p, nil
}

// Can reports whether the request's principal may perform perm (for
// rendering: show a button or not).
func Can(c *fiber.Ctx, perm Permission) bool { return FromCtx(c).Can(perm) }

// Scope returns the tenant ids the caller may see, nil meaning all. List
// queries filter by it so a scoped user sees nothing of other tenants.
func Scope(c *fiber.Ctx) []int64 {
	p := FromCtx(c)
	if p == nil {
		return []int64{}
	}
	return p.TenantIDs
}

// TenantParam parses the route parameter name as a tenant id and checks the
// caller may read it. A tenant outside the caller's scope is NotFound, not
// Forbidden, so its existence isn't revealed.
func TenantParam(c *fiber.Ctx, name string) (int64, error) {
	p, err := Require(c, PermRead)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound("tenant")
	}
	if !p.SeesTenant(id) {
		return 0, problem.NotFound("tenant")
	}
	return id, nil
}

// LocalAdmin authenticates every request as an unscoped admin. It is for
// handler tests only: serve never mounts it (there is no unauthenticated
// mode; /api/v1 always sits behind Service.Middleware).
func LocalAdmin() fiber.Handler {
	admin := &Principal{Email: "local-admin", Name: "Local admin", Role: RoleAdmin}
	return func(c *fiber.Ctx) error {
		SetPrincipal(c, admin)
		return c.Next()
	}
}
