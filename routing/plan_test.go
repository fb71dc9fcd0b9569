package routing

import (
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

func TestPlan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := tenants.NewStore(db.Gorm)
		mk := func(source string, status tenants.Status, eps ...*tenants.Endpoint) *tenants.Tenant {
			tn := &tenants.Tenant{Name: source, SourceID: source, Status: status}
			for _, e := range eps {
				if e.Subscriptions == nil {
					e.Subscriptions = []string{}
				}
			}
			if err := s.CreateTenant(ctx, tn, eps); err != nil {
				t.Fatal(err)
			}
			return tn
		}
		mk("org_a", tenants.StatusActive,
			&tenants.Endpoint{URL: "https://ats/default", Enabled: true},
			&tenants.Endpoint{URL: "https://ats/scores-only", Enabled: true, Subscriptions: []string{"interview.scores"}},
			&tenants.Endpoint{URL: "https://ats/all", Enabled: true, Subscriptions: []string{tenants.SubscribeAll}},
			&tenants.Endpoint{URL: "https://ats/off", Enabled: false},
			&tenants.Endpoint{URL: "https://ats/interviewer", Enabled: true, Subscriptions: []string{"interview.scores", "interview.interviewer_evaluation"}},
		)
		mk("org_off", tenants.StatusDisabled, &tenants.Endpoint{URL: "https://ats/x", Enabled: true})
		str := func(s string) *string { return &s }
		byDefault := tenants.TypeRule{ForwardByDefault: true}
		namedOnly := tenants.TypeRule{NamedOnly: true}

		cases := []struct {
			name       string
			ev         Event
			wantTenant bool
			wantURLs   []string
		}{
			{"scores to default, scores-only, all and scores+interviewer", Event{Type: "interview.scores", SourceID: str("org_a"), TypeRule: byDefault}, true,
				[]string{"https://ats/default", "https://ats/scores-only", "https://ats/all", "https://ats/interviewer"}},
			{"transcript skips scores-only", Event{Type: "interview.transcript", SourceID: str("org_a"), TypeRule: byDefault}, true,
				[]string{"https://ats/default", "https://ats/all"}},
			{"named-only type goes only to the endpoint naming it, not to all", Event{Type: "interview.interviewer_evaluation", SourceID: str("org_a"), TypeRule: namedOnly}, true,
				[]string{"https://ats/interviewer"}},
			{"unknown type goes to all", Event{Type: "interview.feedback", SourceID: str("org_a")}, true,
				[]string{"https://ats/all"}},
			{"null source is unrouted", Event{Type: "interview.scores", TypeRule: byDefault}, false, nil},
			{"unknown source is unrouted", Event{Type: "interview.scores", SourceID: str("org_new"), TypeRule: byDefault}, false, nil},
			{"disabled tenant owns but gets nothing", Event{Type: "interview.scores", SourceID: str("org_off"), TypeRule: byDefault}, true, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p, err := NewPlanner().Plan(ctx, db.Gorm, tc.ev)
				if err != nil {
					t.Fatal(err)
				}
				if (p.TenantID != nil) != tc.wantTenant {
					t.Fatalf("tenant = %v, want routed=%v", p.TenantID, tc.wantTenant)
				}
				var urls []string
				for _, e := range p.Endpoints {
					urls = append(urls, e.URL)
				}
				if len(urls) != len(tc.wantURLs) {
					t.Fatalf("got %v, want %v", urls, tc.wantURLs)
				}
				for i := range urls {
					if urls[i] != tc.wantURLs[i] {
						t.Fatalf("got %v, want %v", urls, tc.wantURLs)
					}
				}
			})
		}
	})
}
