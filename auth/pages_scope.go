package auth

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// TenantName is one tenant as the users pages' scope picker shows it.
type TenantName struct {
	ID       int64
	Name     string
	SourceID string
}

// TenantDirectory finds tenants for the users pages' scope picker (auth
// can't import tenants; main wires it).
type TenantDirectory interface {
	// FirstTenants lists up to limit tenants by name.
	FirstTenants(ctx context.Context, limit int) ([]TenantName, error)
	// TenantsByID returns those of ids that name a tenant.
	TenantsByID(ctx context.Context, ids []int64) ([]TenantName, error)
	// MatchTenants returns up to limit tenants that text names: its
	// sourceId, else its name (any case), else part of either.
	MatchTenants(ctx context.Context, text string, limit int) ([]TenantName, error)
}

// SetTenants gives the users pages their tenant scope picker; without it
// they offer no scope (every user sees every tenant).
func (s *Service) SetTenants(d TenantDirectory) { s.tenants = d }

// scopeCheckboxes is how many tenants the scope picker lists as
// checkboxes; past it, it shows the ticked ones and a search field, since
// a checkbox per tenant weighs megabytes at ten thousand tenants.
const scopeCheckboxes = 50

// scopeTextParam is the scope picker's search field.
const scopeTextParam = "tenant_q"

// scopeForm is the scope picker's state: the ticked tenants, and the text
// of the search field with the tenants it matched when it named several.
type scopeForm struct {
	ids     []int64
	text    string
	matches []TenantName
}

// scopePicker is the scope checkbox group (every tenant when there are
// few, else the ticked ones and the search's matches) and, past
// scopeCheckboxes tenants, the search field.
func (s *Service) scopePicker(ctx context.Context, id string, sf scopeForm, errMsg string) (views.Field, *views.TenantPicker, error) {
	f := views.Field{ID: id, Name: "tenant_ids", Label: "Tenants", Error: errMsg,
		Hint: "None ticked: every tenant. Support and viewers can be limited; admins always see every tenant."}
	if s.tenants == nil {
		return f, nil, nil
	}
	first, err := s.tenants.FirstTenants(ctx, scopeCheckboxes+1)
	if err != nil {
		return f, nil, err
	}
	if len(first) <= scopeCheckboxes {
		f.Options = tenantChecks(withGone(first, sf.ids), sf.ids)
		return f, nil, nil
	}
	ticked, err := s.tenants.TenantsByID(ctx, sf.ids)
	if err != nil {
		return f, nil, err
	}
	f.Options = tenantChecks(append(withGone(ticked, sf.ids), sf.matches...), sf.ids)
	f.Hint = "Ticked: the tenants this user sees; none ticked: every tenant. Admins always see every tenant."
	// The message goes with the search field, where the text at fault is.
	search := &views.TenantPicker{WrapID: id + "-search", SuggestURL: "/admin/tenant-suggestions",
		Field: views.Field{ID: id + "-add", Name: scopeTextParam, Label: "Add a tenant", Value: sf.text, Error: errMsg,
			Hint: "Its name or sourceId; saving adds it. Part of a name lists the matches to tick."}}
	f.Error = ""
	return f, search, nil
}

// checkTenantIDs refuses (problem.Invalid) an id in ids that names no
// tenant, unless kept has it (a scope keeps a tenant deleted since). Ids
// are never reused, but they are handed out in order: a scope naming an id
// no tenant has yet would grant the next tenant that gets it. Without a
// directory (SetTenants) it checks nothing.
func (s *Service) checkTenantIDs(ctx context.Context, ids, kept []int64) error {
	var fresh []int64
	for _, id := range ids {
		if !slices.Contains(kept, id) {
			fresh = append(fresh, id)
		}
	}
	if s.tenants == nil || len(fresh) == 0 {
		return nil
	}
	ts, err := s.tenants.TenantsByID(ctx, fresh)
	if err != nil {
		return err
	}
	for _, id := range fresh {
		if !slices.ContainsFunc(ts, func(t TenantName) bool { return t.ID == id }) {
			return problem.Invalid("tenant_ids", fmt.Sprintf("%d names no tenant", id))
		}
	}
	return nil
}

// withGone adds to ts a ticked entry for each id of the scope that names
// no tenant any more (deleted since). Left out, it would not be posted back,
// and a scope emptied that way by saving the form for a role change means
// every tenant: a user limited to a deleted tenant would see them all.
func withGone(ts []TenantName, scope []int64) []TenantName {
	for _, id := range scope {
		if !slices.ContainsFunc(ts, func(t TenantName) bool { return t.ID == id }) {
			ts = append(ts, TenantName{ID: id, Name: "#" + itoa(id) + " (deleted tenant)"})
		}
	}
	return ts
}

// tenantChecks are checkboxes for ts (each once, by name), ticked when in selected.
func tenantChecks(ts []TenantName, selected []int64) []views.Option {
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	var out []views.Option
	seen := map[int64]bool{}
	for _, t := range ts {
		if !seen[t.ID] {
			seen[t.ID] = true
			out = append(out, views.Option{Value: itoa(t.ID), Label: t.Name, Help: t.SourceID, Selected: slices.Contains(selected, t.ID)})
		}
	}
	return out
}

// formScope reads the scope picker: the ticked tenants plus the one the
// search field names. Text naming no tenant, or several, is a tenant_ids
// error; the several come back in the form, to be ticked.
func (s *Service) formScope(c *fiber.Ctx) (scopeForm, error) {
	ids, err := formTenantIDs(c)
	sf := scopeForm{ids: ids, text: strings.TrimSpace(c.FormValue(scopeTextParam))}
	if err != nil || sf.text == "" || s.tenants == nil {
		return sf, err
	}
	ms, err := s.tenants.MatchTenants(c.UserContext(), sf.text, scopeCheckboxes)
	switch {
	case err != nil:
		return sf, err
	case len(ms) == 0:
		return sf, problem.Invalid("tenant_ids", "no tenant has the name or sourceId “"+sf.text+"”")
	case len(ms) > 1:
		sf.matches = ms
		return sf, problem.Invalid("tenant_ids", "“"+sf.text+"” matches several tenants: tick the ones to add, then save")
	}
	if !slices.Contains(sf.ids, ms[0].ID) {
		sf.ids = append(sf.ids, ms[0].ID)
	}
	sf.text = ""
	return sf, nil
}

// scopeNames names the tenants the users on the page are limited to.
func (s *Service) scopeNames(ctx context.Context, users []User) (map[int64]string, error) {
	names := map[int64]string{}
	var ids []int64
	for _, u := range users {
		ids = append(ids, u.TenantIDs...)
	}
	if s.tenants == nil || len(ids) == 0 {
		return names, nil
	}
	ts, err := s.tenants.TenantsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		names[t.ID] = t.Name
	}
	return names, nil
}

// scopeShown is how many tenant names a user's row lists before "and N more".
const scopeShown = 5

// scopeText names the user's tenants ("#id" where the name is unknown),
// the first few of a long list.
func scopeText(ids []int64, names map[int64]string) string {
	if ids == nil {
		return "all tenants"
	}
	parts := make([]string, 0, min(len(ids), scopeShown)+1)
	for _, id := range ids[:min(len(ids), scopeShown)] {
		part := "#" + itoa(id)
		if n, ok := names[id]; ok {
			part = n
		}
		parts = append(parts, part)
	}
	if more := len(ids) - scopeShown; more > 0 {
		parts = append(parts, "and "+itoa(int64(more))+" more")
	}
	return "tenants " + strings.Join(parts, ", ")
}
