package auth

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/database"
)

// Audit list limits.
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 500
	maxAuditExport    = 100_000
)

// AuditFilter selects audit entries; zero fields match everything. Results
// are newest first; Cursor is the id of the last entry of the previous page.
type AuditFilter struct {
	ActorID  int64
	Actor    string // email, exact (any case)
	TenantID int64
	Action   string // exact ("tenant.update") or a prefix ending in "." ("tenant.")
	Since    time.Time
	Until    time.Time
	Cursor   int64
	Limit    int
}

// ListAudit returns one page of entries matching f and the cursor of the
// next page (0 when this is the last).
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]Entry, int64, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultAuditLimit
	}
	q := s.db.WithContext(ctx).Order("id DESC").Limit(f.Limit + 1)
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Actor != "" {
		q = q.Where(database.Lower(q, "actor")+" = ?", NormalizeEmail(f.Actor))
	}
	if f.TenantID != 0 {
		q = q.Where("tenant_id = ?", f.TenantID)
	}
	if strings.HasSuffix(f.Action, ".") {
		q = q.Where("action LIKE ?", f.Action+"%") // "_" matching any character is harmless here
	} else if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until.UTC())
	}
	if f.Cursor > 0 {
		q = q.Where("id < ?", f.Cursor)
	}
	var out []Entry
	if err := q.Find(&out).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit: %w", err)
	}
	var next int64
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

var auditCSVHeader = []string{"id", "at", "actor", "actor_id", "token_id", "ip", "action", "tenant_id", "target", "before", "after"}

// ExportAuditCSV writes every entry matching f (ignoring its cursor and
// limit, up to 100,000 rows) as CSV, newest first, paging through the table.
func (s *Store) ExportAuditCSV(ctx context.Context, f AuditFilter, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditCSVHeader); err != nil {
		return err
	}
	f.Cursor, f.Limit = 0, MaxAuditLimit
	for written := 0; written < maxAuditExport; {
		page, next, err := s.ListAudit(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := cw.Write(csvRow(e)); err != nil {
				return err
			}
		}
		written += len(page)
		if next == 0 {
			break
		}
		f.Cursor = next
	}
	cw.Flush()
	return cw.Error()
}

func csvRow(e Entry) []string {
	return []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), CSVSafe(e.Actor), optInt(e.ActorID),
		optInt(e.TokenID), e.IP, CSVSafe(e.Action), optInt(e.TenantID), CSVSafe(e.Target), optStr(e.Before), optStr(e.After)}
}

// CSVSafe defuses spreadsheet formulas in values an outsider may choose (a
// failed login's email, a candidate name like "=HYPERLINK(…)").
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
