package tenants

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
)

func testRing(t testing.TB) *secrets.Keyring {
	t.Helper()
	k, err := secrets.ParseKey("jDLh3evmDAXUsUBQbHAaWNgOKWgsEh3jRPnychVJku8=")
	if err != nil {
		t.Fatal(err)
	}
	return secrets.NewKeyring(k)
}

var testEventTypes = []string{"interview.transcript", "interview.evaluation", "interview.scores", "interview.recording"}

func newTestEditor(t testing.TB, db *gorm.DB) *Editor {
	t.Helper()
	return NewEditor(NewStore(db), testRing(t), allowAll{}, testEventTypes)
}

func mustCreateTenant(t testing.TB, ed *Editor, name, source string, status Status, eps ...EndpointInput) *Tenant {
	t.Helper()
	tn := &Tenant{Name: name, SourceID: source, Status: status}
	if _, err := ed.CreateTenant(context.Background(), tn, eps); err != nil {
		t.Fatalf("create tenant %s: %v", source, err)
	}
	return tn
}

func ptr[T any](v T) *T { return &v }

func tenantVersion(t testing.TB, db *gorm.DB) int64 {
	t.Helper()
	var v int64
	if err := db.Raw("SELECT version FROM tenants_version WHERE id = 1").Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	return v
}

func asProblem(err error) (string, bool) {
	p, ok := problem.As(err)
	if !ok || len(p.Details) == 0 {
		return "", false
	}
	return p.Details[0].Field, true
}
