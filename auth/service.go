package auth

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
)

// Service is the gate: it signs people in and out, issues and checks
// sessions, API tokens and CSRF tokens, and records the audit trail. One
// Service per process; it is safe for concurrent use.
type Service struct {
	store  *Store
	keys   *Keys
	log    *slog.Logger
	limit  *limiter
	now    func() time.Time
	secure bool // Secure cookies regardless of the request (SWITCHBOARD_PUBLIC_URL is https)
	// publicOrigin is the public URL's scheme://host[:port] ("" when unset):
	// a sign-in form posted from it is our own (ownOrigin).
	publicOrigin string
	// tenants finds tenants for the users pages' scope picker (may be nil).
	tenants TenantDirectory

	dummyOnce sync.Once
	dummyHash string
}

// NewService returns the gate over db, signing sessions with keys.
// publicURL is how browsers reach Switchboard (SWITCHBOARD_PUBLIC_URL, ""
// when unset): an https one forces the Secure cookie attribute (behind a
// TLS-terminating proxy; TLS requests get it anyway), and a sign-in form
// posted from its origin is accepted even when a proxy rewrote Host.
func NewService(db *gorm.DB, keys *Keys, log *slog.Logger, publicURL string) *Service {
	return &Service{store: NewStore(db), keys: keys, log: log, limit: newLimiter(time.Now), now: time.Now,
		secure: strings.HasPrefix(publicURL, "https://"), publicOrigin: originOf(publicURL)}
}

// Store returns the service's store (users, tokens, audit).
func (s *Service) Store() *Store { return s.store }

// errBadLogin is the one answer to every failed sign-in, whether or not the
// email exists, so the response reveals nothing.
var errBadLogin = problem.Unauthorized("invalid email or password")

// Login checks email and password from address ip. It returns the user, a
// generic problem.Unauthorized on any mismatch (unknown email, wrong
// password, disabled account), or a rate_limited problem while the account
// or address is locked out. Both outcomes are audited.
func (s *Service) Login(ctx context.Context, email, password, ip string) (*User, error) {
	email = NormalizeEmail(email)
	acct, addr := "acct:"+email, "addr:"+ip
	wait := max(s.limit.wait(acct, AccountFailures), s.limit.wait(addr, AddressFailures))
	if wait > 0 {
		s.auditLogin(ctx, "auth.login_locked", nil, email, ip)
		return nil, &problem.Error{Code: problem.CodeRateLimited, Message: "too many failed sign-ins; try again later",
			RetryAfter: int(wait.Seconds()) + 1}
	}
	u, err := s.store.FindUserByEmail(ctx, email)
	if p, isProblem := problem.As(err); err != nil && (!isProblem || p.Code != problem.CodeNotFound) {
		return nil, err
	}
	ok := false
	if u != nil {
		ok = CheckPassword(u.PasswordHash, password) && !u.Disabled
	} else {
		CheckPassword(s.dummy(), password) // spend the same time as for a real account
	}
	if !ok {
		s.limit.fail(acct)
		s.limit.fail(addr)
		s.auditLogin(ctx, "auth.login_failed", nil, email, ip)
		return nil, errBadLogin
	}
	s.limit.reset(acct)
	if err := s.store.RecordLogin(ctx, u.ID); err != nil {
		return nil, err
	}
	s.auditLogin(ctx, "auth.login", u, email, ip)
	return u, nil
}

// dummy is a real hash of nothing anyone knows, computed once.
func (s *Service) dummy() string {
	s.dummyOnce.Do(func() { s.dummyHash, _ = HashPassword(GeneratePassword()) })
	return s.dummyHash
}

// auditLogin records a sign-in outcome; a failure to record is logged, not
// returned, so a full audit table can't lock everyone out.
func (s *Service) auditLogin(ctx context.Context, action string, u *User, email, ip string) {
	e := &Entry{Action: action, Actor: truncate(email, 254), Target: "user", IP: ip}
	if u != nil {
		e.ActorID = &u.ID
		e.Target = "user:" + itoa(u.ID)
	}
	if err := s.store.Record(ctx, e); err != nil {
		s.log.Error("Could not record a sign-in in the audit trail.", "action", action, "error", err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
