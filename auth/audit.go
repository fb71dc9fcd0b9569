package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"
)

// Entry is one line of the audit trail: who did what, when, from where, to
// which tenant and object, and (for configuration) the state before and after.
type Entry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	ActorID  *int64    `json:"actor_id"`
	Actor    string    `json:"actor"` // email, "system" or "cli"
	TokenID  *int64    `json:"token_id"`
	IP       string    `json:"ip"`
	Action   string    `json:"action"` // "<noun>.<verb>": tenant.update, delivery.retry, auth.login_failed
	TenantID *int64    `json:"tenant_id"`
	Target   string    `json:"target"` // what was acted on: "endpoint:12", "user:3", an email
	Before   *string   `json:"before" gorm:"column:before_json"`
	After    *string   `json:"after" gorm:"column:after_json"`
}

// TableName is the audit table.
func (Entry) TableName() string { return "audit_log" }

const auditorKey = "switchboard.auditor"

// Audit records an action by the request's principal, from the request's
// address, in the audit trail. tenantID 0 means "no tenant". before and
// after are any JSON-encodable values (nil for none); fields whose names
// look like secrets (secret, token, password, key, authorization) are
// replaced by "[redacted]" at any depth, so passing a whole struct is safe.
// Call it after your change has committed (on SQLite a write inside your
// open transaction would wait for it). It fails only when the write fails.
func Audit(c *fiber.Ctx, action string, tenantID int64, target string, before, after any) error {
	return AuditAll(c, []Change{{Action: action, TenantID: tenantID, Target: target, Before: before, After: after}})
}

// Change is one audited action, as Audit's arguments.
type Change struct {
	Action   string
	TenantID int64 // 0: no tenant
	Target   string
	Before   any
	After    any
}

// AuditAll records changes as Audit does, one entry each, in one insert:
// an import of a thousand tenants writes its thousand entries in a few
// round trips. Call it after the changes committed.
func AuditAll(c *fiber.Ctx, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	a, _ := c.Locals(auditorKey).(*Store)
	if a == nil {
		return fmt.Errorf("audit %s: no auditor on this request (auth.Middleware not mounted)", changes[0].Action)
	}
	entries := make([]Entry, len(changes))
	for i, ch := range changes {
		if err := requestEntry(c, ch, &entries[i]); err != nil {
			return err
		}
	}
	return a.RecordAll(c.UserContext(), entries)
}

// requestEntry fills e with ch by the request's principal, from its address.
func requestEntry(c *fiber.Ctx, ch Change, e *Entry) error {
	*e = Entry{Action: ch.Action, Target: ch.Target, IP: c.IP()}
	if p := FromCtx(c); p != nil {
		e.Actor = p.Email
		if p.UserID != 0 {
			e.ActorID = &p.UserID
		}
		if p.TokenID != 0 {
			e.TokenID = &p.TokenID
		}
	}
	if ch.TenantID != 0 {
		e.TenantID = &ch.TenantID
	}
	var err error
	if e.Before, err = redactedJSON(ch.Before); err != nil {
		return err
	}
	e.After, err = redactedJSON(ch.After)
	return err
}

// Record inserts e (At defaults to now, Actor to "system"). Callers outside a
// request (workers, CLI) use it directly; Before/After must already be redacted
// (use Redact).
func (s *Store) Record(ctx context.Context, e *Entry) error {
	s.fillDefaults(e)
	if err := s.db.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// recordBatch is how many entries one insert of RecordAll carries (11
// columns each: well under either dialect's limit on bound parameters).
const recordBatch = 200

// RecordAll inserts entries as Record does, several per statement.
func (s *Store) RecordAll(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	for i := range entries {
		s.fillDefaults(&entries[i])
	}
	if err := s.db.WithContext(ctx).CreateInBatches(entries, recordBatch).Error; err != nil {
		return fmt.Errorf("audit %s (%d entries): %w", entries[0].Action, len(entries), err)
	}
	return nil
}

func (s *Store) fillDefaults(e *Entry) {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	if e.Actor == "" {
		e.Actor = "system"
	}
}

// Redact returns v as JSON with secret-looking fields replaced, or nil for nil.
func Redact(v any) (*string, error) { return redactedJSON(v) }

func redactedJSON(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: encode: %w", err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil, fmt.Errorf("audit: decode: %w", err)
	}
	out, _ := json.Marshal(redactTree(tree))
	s := string(out)
	return &s, nil
}

var secretWords = []string{"secret", "token", "password", "key", "authorization", "cookie", "credential"}

// isSecretName reports whether a field name looks like it holds a secret.
func isSecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func redactTree(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			if isSecretName(k) && sub != nil && sub != "" {
				t[k] = "[redacted]"
			} else {
				t[k] = redactTree(sub)
			}
		}
	case []any:
		for i := range t {
			t[i] = redactTree(t[i])
		}
	}
	return v
}

// SetAuditor makes Audit record into s for this request. Middleware does it
// for every request; a handler test that injects its principal with
// SetPrincipal calls it too.
func SetAuditor(c *fiber.Ctx, s *Store) { c.Locals(auditorKey, s) }

// ErasedValue is what an erased entry's before and after hold: a JSON
// string, like "[redacted]" for secrets.
const ErasedValue = `"[erased]"`

// erasableEntries selects tenantID's entries of target with one of actions
// whose before or after still holds a value.
func erasableEntries(tx *gorm.DB, tenantID int64, target string, actions []string) *gorm.DB {
	return tx.Model(&Entry{}).Where("tenant_id = ? AND target = ? AND action IN ?", tenantID, target, actions).
		Where("(before_json IS NOT NULL AND before_json <> ?) OR (after_json IS NOT NULL AND after_json <> ?)", ErasedValue, ErasedValue)
}

// CountErasableValues counts the entries EraseValues would change.
func CountErasableValues(tx *gorm.DB, tenantID int64, target string, actions ...string) (int64, error) {
	var n int64
	err := erasableEntries(tx, tenantID, target, actions).Count(&n).Error
	return n, err
}

// EraseValues replaces the before and after of tenantID's entries of
// target with one of actions by ErasedValue, keeping who did what, when
// and from where: erasing a candidate's data removes the values the trail
// copied (a correlation's ATS ids). Run it in the erasure's transaction.
// It returns how many entries changed.
func EraseValues(tx *gorm.DB, tenantID int64, target string, actions ...string) (int64, error) {
	res := erasableEntries(tx, tenantID, target, actions).Updates(map[string]any{
		"before_json": gorm.Expr("CASE WHEN before_json IS NULL THEN NULL ELSE ? END", ErasedValue),
		"after_json":  gorm.Expr("CASE WHEN after_json IS NULL THEN NULL ELSE ? END", ErasedValue)})
	return res.RowsAffected, res.Error
}
