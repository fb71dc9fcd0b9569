package tenants

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
)

type allowAll struct{}

func (allowAll) CheckURL(context.Context, string) error { return nil }

type refuseAll struct{}

func (refuseAll) CheckURL(context.Context, string) error {
	return errors.New("url: loopback is not allowed")
}

func TestCreateTenant(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db.Gorm)
		tn := &Tenant{Name: " Acme ", SourceID: "org_1"}
		if err := tn.Validate(); err != nil {
			t.Fatal(err)
		}
		ep := &Endpoint{URL: "https://ats.example/hook", Enabled: true}
		if err := ep.Validate(ctx, allowAll{}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateTenant(ctx, tn, []*Endpoint{ep}); err != nil {
			t.Fatal(err)
		}
		if tn.ID == 0 || ep.ID == 0 || ep.TenantID != tn.ID || tn.Name != "Acme" || tn.Status != StatusActive {
			t.Fatalf("created %+v / %+v", tn, ep)
		}
		got, err := FindBySourceID(ctx, db.Gorm, "org_1")
		if err != nil || got.ID != tn.ID {
			t.Fatalf("FindBySourceID = %+v, %v", got, err)
		}
		eps, err := s.ListEndpoints(ctx, tn.ID)
		if err != nil || len(eps) != 1 || eps[0].URL != ep.URL || eps[0].Subscriptions == nil {
			t.Fatalf("ListEndpoints = %+v, %v", eps, err)
		}
		err = s.CreateTenant(ctx, &Tenant{Name: "Again", SourceID: "org_1", Status: StatusActive}, nil)
		if p, ok := problem.As(err); !ok || p.Code != problem.CodeConflict {
			t.Fatalf("duplicate sourceId: err = %v, want conflict", err)
		}
		if _, err := FindBySourceID(ctx, db.Gorm, "org_missing"); !isNotFound(err) {
			t.Fatalf("missing sourceId: err = %v, want not found", err)
		}
		if _, err := s.FindEndpoint(ctx, tn.ID+1, ep.ID); !isNotFound(err) {
			t.Fatalf("endpoint of another tenant: err = %v, want not found", err)
		}
	})
}

func isNotFound(err error) bool {
	p, ok := problem.As(err)
	return ok && p.Code == problem.CodeNotFound
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		tenant  Tenant
		wantErr string
	}{
		{name: "ok", tenant: Tenant{Name: "A", SourceID: "s"}},
		{name: "no name", tenant: Tenant{SourceID: "s"}, wantErr: "name"},
		{name: "no source id", tenant: Tenant{Name: "A"}, wantErr: "source_id"},
		{name: "bad status", tenant: Tenant{Name: "A", SourceID: "s", Status: "gone"}, wantErr: "status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.tenant.Validate()
			p, _ := problem.As(err)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("err = %v, want nil", err)
			case tc.wantErr != "" && (p == nil || p.Details[0].Field != tc.wantErr):
				t.Fatalf("err = %v, want invalid %s", err, tc.wantErr)
			}
		})
	}
	ep := &Endpoint{URL: "http://127.0.0.1/"}
	err := ep.Validate(context.Background(), refuseAll{})
	if p, ok := problem.As(err); !ok || p.Details[0].Field != "url" || p.Details[0].Reason != "loopback is not allowed" {
		t.Fatalf("refused url: err = %v", err)
	}
}
