package tenants

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMatchTenants: a typed tenant filter picks the tenant whose sourceId
// it is, else those named so (any case), else those containing it, within
// the caller's scope, bounded; the names of a page's rows come in one go.
func TestMatchTenants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		acme := mustCreateTenant(t, ed, "Acme", "acme-hq", StatusActive)
		labs := mustCreateTenant(t, ed, "Acme Labs", "org_labs", StatusActive)
		twin := mustCreateTenant(t, ed, "acme labs", "org_twin", StatusPaused)
		other := mustCreateTenant(t, ed, "Other Co", "Acme", StatusActive) // a sourceId equal to another's name
		// sorted: "Acme Labs" and "acme labs" sort either way by the database's collation
		names := func(ts []Tenant) []string {
			var out []string
			for _, tn := range ts {
				out = append(out, tn.SourceID)
			}
			sort.Strings(out)
			return out
		}
		for _, tc := range []struct {
			name, text string
			scope      []int64
			limit      int
			want       []string
		}{
			{name: "sourceId first", text: "Acme", want: []string{"Acme"}},
			{name: "name any case", text: "ACME", want: []string{"acme-hq"}},
			{name: "a shared name names both", text: "Acme Labs", want: []string{"org_labs", "org_twin"}},
			{name: "part of a name", text: "labs", want: []string{"org_labs", "org_twin"}},
			{name: "part of a sourceId", text: "org_t", want: []string{"org_twin"}},
			{name: "bounded, by name", text: "cme", limit: 1, want: []string{"acme-hq"}},
			{name: "scope hides the sourceId match", text: "Acme", scope: []int64{acme.ID}, want: []string{"acme-hq"}},
			{name: "scope hides the twin", text: "labs", scope: []int64{labs.ID, other.ID}, want: []string{"org_labs"}},
			{name: "empty scope", text: "acme", scope: []int64{}, want: nil},
			{name: "empty text", text: "  ", want: nil},
			{name: "nothing", text: "zzz", want: nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := ed.MatchTenants(ctx, tc.scope, tc.text, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(names(got), tc.want) {
					t.Errorf("got %v, want %v", names(got), tc.want)
				}
			})
		}
		sugg, err := ed.SuggestTenants(ctx, []int64{acme.ID, twin.ID}, "", 10)
		if err != nil || !reflect.DeepEqual(names(sugg), []string{"acme-hq", "org_twin"}) {
			t.Errorf("suggestions in scope: %v (err %v)", names(sugg), err)
		}
		got, err := TenantNames(ctx, db.Gorm, []int64{labs.ID, other.ID, labs.ID, 987654})
		if want := map[int64]string{labs.ID: "Acme Labs", other.ID: "Other Co"}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("TenantNames = %v (err %v), want %v", got, err, want)
		}
	})
}

// TestMatchTenantsBeyondASCII: a tenant's name matches in any case on both
// dialects, accented capitals included (SQLite's lower() folds only A to
// Z, so "ärzte" missed "Ärzte" there), and % or _ in the text are
// themselves, not LIKE wildcards.
func TestMatchTenantsBeyondASCII(t *testing.T) {
	testdb.EachLocale(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		for _, tn := range []struct{ name, source string }{
			{"Ärzteverbund Süd", "aerzte"}, {"Zoë Recruiting", "zoe"}, {"100% Hire", "pct"}, {"A_B Staffing", "ab"}, {"Plain", "plain"},
			{"Ze\u0301lie Conseil", "zelie"}, // decomposed: "e" + U+0301
		} {
			mustCreateTenant(t, ed, tn.name, tn.source, StatusActive)
		}
		for _, tc := range []struct {
			name, text string
			want       []string
		}{
			{name: "whole name, lower case", text: "ärzteverbund süd", want: []string{"aerzte"}},
			{name: "whole name, upper case", text: "ÄRZTEVERBUND SÜD", want: []string{"aerzte"}},
			{name: "part, upper case", text: "SÜD", want: []string{"aerzte"}},
			{name: "part, other case", text: "ZOË", want: []string{"zoe"}},
			{name: "percent is literal", text: "%", want: []string{"pct"}},
			{name: "underscore is literal", text: "_", want: []string{"ab"}},
			{name: "composed text, decomposed name", text: "zélie conseil", want: []string{"zelie"}},
			{name: "composed part, decomposed name", text: "ZÉLIE", want: []string{"zelie"}},
			{name: "decomposed text, composed name", text: "A\u0308rzteverbund Su\u0308d", want: []string{"aerzte"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := ed.MatchTenants(ctx, nil, tc.text, 0)
				if err != nil {
					t.Fatal(err)
				}
				var sources []string
				for _, tn := range got {
					sources = append(sources, tn.SourceID)
				}
				if !reflect.DeepEqual(sources, tc.want) {
					t.Errorf("MatchTenants(%q) = %v, want %v", tc.text, sources, tc.want)
				}
			})
		}
	})
}

// A search longer than any name or sourceId (a pasted document) matches
// nothing, without an error: SQLite refuses LIKE patterns over 50,000 bytes.
func TestSearchLongerThanAnyName(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		mustCreateTenant(t, ed, strings.Repeat("é", maxNameLen), "org_long", StatusActive)
		st := NewStore(db.Gorm)
		pasted := strings.Repeat("a", 60_000)
		if got, _, err := st.ListTenants(ctx, TenantFilter{Search: pasted}); err != nil || len(got) != 0 {
			t.Fatalf("list with a 60,000-byte search = %d tenants, %v; want none, no error", len(got), err)
		}
		if got, err := st.MatchTenants(ctx, nil, pasted, 0); err != nil || len(got) != 0 {
			t.Fatalf("match with a 60,000-byte text = %d tenants, %v; want none, no error", len(got), err)
		}
		if got, _, err := st.ListTenants(ctx, TenantFilter{Search: strings.Repeat("é", maxNameLen)}); err != nil || len(got) != 1 {
			t.Fatalf("a search as long as the longest name = %d tenants, %v; want the tenant", len(got), err)
		}
	})
}
