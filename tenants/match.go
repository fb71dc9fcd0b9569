package tenants

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
)

// MaxMatches bounds what a tenant picker lists at once: with thousands of
// tenants a picker searches rather than listing them all.
const MaxMatches = 50

// MatchTenants finds the tenants within scope (auth.Scope: nil means every
// tenant) that text names: the one whose sourceId it is, else those whose
// name it is (any case), else those whose name or sourceId contains it.
// It returns at most limit (MaxMatches when limit <= 0 or past MaxPageSize) ordered by name;
// one result means text picks a tenant, none or several that it doesn't.
// Empty text matches nothing.
func (s *Store) MatchTenants(ctx context.Context, scope []int64, text string, limit int) ([]Tenant, error) {
	text = strings.TrimSpace(text)
	if text == "" || (scope != nil && len(scope) == 0) {
		return nil, nil
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxMatches
	}
	inScope := func() *gorm.DB {
		q := s.db.WithContext(ctx).Model(&Tenant{})
		if scope != nil {
			q = q.Where("id IN ?", scope)
		}
		return q
	}
	var bySource Tenant
	err := inScope().Where("source_id = ?", text).First(&bySource).Error
	if err == nil {
		return []Tenant{bySource}, nil
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("match tenant by sourceId: %w", err)
	}
	var byName []Tenant
	cond, args := database.AnyForm(text, database.Lower(s.db, "name")+" = "+database.Lower(s.db, "?"), func(v string) []any { return []any{v} })
	if err := inScope().Where(cond, args...).Order("name, id").Limit(limit).Find(&byName).Error; err != nil {
		return nil, fmt.Errorf("match tenants by name: %w", err)
	}
	if len(byName) > 0 {
		return byName, nil
	}
	out, _, err := s.ListTenants(ctx, TenantFilter{TenantIDs: scope, Search: text, Sort: "name", Limit: limit})
	return out, err
}

// SuggestTenants lists up to limit tenants within scope whose name or
// sourceId contains text (every tenant when text is empty), by name: the
// suggestions a tenant picker offers as one types. Limit is as for MatchTenants.
func (s *Store) SuggestTenants(ctx context.Context, scope []int64, text string, limit int) ([]Tenant, error) {
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxMatches
	}
	out, _, err := s.ListTenants(ctx, TenantFilter{TenantIDs: scope, Search: text, Sort: "name", Limit: limit})
	return out, err
}

// TenantNames maps each id in ids that names a tenant to its name, in one
// query per few hundred ids: pages name only the tenants of the rows they
// show, never load every tenant. The caller has already applied its scope.
func TenantNames(ctx context.Context, db *gorm.DB, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	const chunk = 500 // well under every driver's limit of bound parameters
	uniq := distinct(ids)
	for start := 0; start < len(uniq); start += chunk {
		var rows []struct {
			ID   int64
			Name string
		}
		part := uniq[start:min(start+chunk, len(uniq))]
		if err := db.WithContext(ctx).Table("tenants").Select("id, name").Where("id IN ?", part).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("tenant names: %w", err)
		}
		for _, r := range rows {
			out[r.ID] = r.Name
		}
	}
	return out, nil
}

func distinct(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
