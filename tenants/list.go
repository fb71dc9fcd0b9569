package tenants

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
)

// TenantFilter selects tenants for ListTenants.
type TenantFilter struct {
	// TenantIDs is the caller's scope (auth.Scope): nil means every tenant,
	// an empty slice none.
	TenantIDs []int64
	// Search matches a substring of the name or sourceId, case-insensitively.
	Search string
	// Status keeps only tenants in that state ("" = all).
	Status Status
	// Sort is "id" (default), "name" or "source_id"; a leading "-" sorts descending.
	Sort string
	// After is the cursor ListTenants returned for the previous page.
	After string
	// Limit is the page size (default 50, at most 500).
	Limit int
}

// DefaultPageSize and MaxPageSize bound list pages.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// cursor is the keyset position after the last row of a page: the sort key and the id.
type cursor struct {
	Key string `json:"k"`
	ID  int64  `json:"i"`
}

var sortColumns = map[string]string{"id": "id", "name": "name", "source_id": "source_id"}

// ListTenants returns one page of tenants and the cursor of the next page
// ("" when this is the last). A bad sort, status or cursor is problem.Invalid.
func (s *Store) ListTenants(ctx context.Context, f TenantFilter) ([]Tenant, string, error) {
	if (f.TenantIDs != nil && len(f.TenantIDs) == 0) || searchTooLong(f.Search) {
		return []Tenant{}, "", nil
	}
	desc := strings.HasPrefix(f.Sort, "-")
	col, ok := sortColumns[strings.TrimPrefix(f.Sort, "-")]
	if f.Sort == "" {
		col, ok = "id", true
	}
	if !ok {
		return nil, "", problem.Invalid("sort", "must be id, name or source_id, optionally with a leading -")
	}
	q, err := tenantQuery(s.db.WithContext(ctx), f)
	if err != nil {
		return nil, "", err
	}
	if q, err = applyCursor(q, col, desc, f.After); err != nil {
		return nil, "", err
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if col != "id" {
		q = q.Order(col + dir)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	var out []Tenant
	if err := q.Order("id" + dir).Limit(limit + 1).Find(&out).Error; err != nil {
		return nil, "", fmt.Errorf("list tenants: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1], col)
	}
	return out, next, nil
}

// searchTooLong reports a search longer than any name or sourceId can be,
// which matches nothing: answered without a query, since SQLite refuses a
// LIKE pattern over 50,000 bytes with an error (a 500 for a pasted text).
func searchTooLong(search string) bool {
	return utf8.RuneCountInString(strings.TrimSpace(search)) > max(maxNameLen, maxSourceIDLen)
}

func tenantQuery(q *gorm.DB, f TenantFilter) (*gorm.DB, error) {
	if f.TenantIDs != nil {
		q = q.Where("id IN ?", f.TenantIDs)
	}
	if f.Status != "" {
		if err := f.Status.validate(); err != nil {
			return nil, err
		}
		q = q.Where("status = ?", f.Status)
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		escape := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
		pattern := database.Lower(q, "?")
		cond, args := database.AnyForm(s, "("+database.Lower(q, "name")+" LIKE "+pattern+` ESCAPE '\' OR `+
			database.Lower(q, "source_id")+" LIKE "+pattern+` ESCAPE '\')`, func(v string) []any {
			like := "%" + escape.Replace(v) + "%"
			return []any{like, like}
		})
		q = q.Where(cond, args...)
	}
	return q, nil
}

func applyCursor(q *gorm.DB, col string, desc bool, after string) (*gorm.DB, error) {
	if after == "" {
		return q, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(after)
	var c cursor
	if err != nil || json.Unmarshal(raw, &c) != nil || c.ID <= 0 {
		return nil, problem.Invalid("after", "is not a cursor this list returned")
	}
	op := ">"
	if desc {
		op = "<"
	}
	if col == "id" {
		return q.Where("id "+op+" ?", c.ID), nil
	}
	return q.Where("("+col+" "+op+" ? OR ("+col+" = ? AND id "+op+" ?))", c.Key, c.Key, c.ID), nil
}

func encodeCursor(t Tenant, col string) string {
	c := cursor{ID: t.ID}
	switch col {
	case "name":
		c.Key = t.Name
	case "source_id":
		c.Key = t.SourceID
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}
