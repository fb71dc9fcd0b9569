package routing

import (
	"bytes"
	"context"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

func mustEndpoint(t testing.TB, db *database.DB, tenantID, id int64) tenants.Endpoint {
	t.Helper()
	ep, err := tenants.NewStore(db.Gorm).FindEndpoint(context.Background(), tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return *ep
}

// TestRenderAppliesCurrentVersion: passthrough without a mapping, then each
// save takes effect on the next render (cache keyed by version id), and
// restore brings an old shape back as a new version.
func TestRenderAppliesCurrentVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tid, eid := mustCreateTenant(t, db.Gorm, "org_7234567890", "https://ats.example/hook")
		ep := mustEndpoint(t, db, tid, eid)
		store, mapper := NewStore(db.Gorm), NewMapper(db.Gorm)
		in := sampleInput(t, "evaluation")
		in.TenantID, in.EndpointID = tid, eid

		r, err := mapper.Render(ctx, ep, in)
		if err != nil || !bytes.Equal(r.Body, in.Body) || r.MappingVersionID != nil || r.URL != ep.URL {
			t.Fatalf("without a mapping: %+v, %v; want the body unchanged and no version", r, err)
		}
		v1, err := store.CreateVersion(ctx, tid, eid, &Mapping{Mode: ModeRules, RuleSet: RuleSet{Rules: []Rule{{Target: "n", From: "data.candidateName"}}}}, "a", "")
		if err != nil {
			t.Fatal(err)
		}
		assertRender(t, mapper, ep, in, `{"n":"Jane Doe"}`, v1.ID)
		v2, err := store.CreateVersion(ctx, tid, eid, &Mapping{Mode: ModeJQ, Program: `{r: .data.recommendation}`}, "a", "")
		if err != nil {
			t.Fatal(err)
		}
		assertRender(t, mapper, ep, in, `{"r":"PASS"}`, v2.ID)
		v3, err := store.RestoreVersion(ctx, tid, eid, 1, "a")
		if err != nil || v3.Number != 3 {
			t.Fatalf("restore: %+v, %v", v3, err)
		}
		assertRender(t, mapper, ep, in, `{"n":"Jane Doe"}`, v3.ID)
	})
}

func assertRender(t *testing.T, m *Mapper, ep tenants.Endpoint, in RenderInput, want string, version int64) {
	t.Helper()
	r, err := m.Render(context.Background(), ep, in)
	if err != nil || string(r.Body) != want {
		t.Fatalf("render: %s (err %v), want %s", r.Body, err, want)
	}
	if r.MappingVersionID == nil || *r.MappingVersionID != version {
		t.Fatalf("MappingVersionID = %v, want %d", r.MappingVersionID, version)
	}
}

// TestRenderWaitsForCorrelation: a URL needing a correlation value fails
// with a correlation-missing error until the record is written, then works.
func TestRenderWaitsForCorrelation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tid, eid := mustCreateTenant(t, db.Gorm, "org_7234567890", "https://ats.example/hook")
		other, _ := mustCreateTenant(t, db.Gorm, "org_other", "https://other.example/hook")
		ep := mustEndpoint(t, db, tid, eid)
		ep.URL = "https://harvest.example/v1/candidates/{{correlation.candidate_id}}/notes"
		store, mapper := NewStore(db.Gorm), NewMapper(db.Gorm)
		if _, err := store.CreateVersion(ctx, tid, eid, mustParse(t, `{"mode":"rules","rules":[
			{"target":"candidateId","from":"correlation.candidate_id","required":true},{"target":"s","from":"data.scores.overall"}]}`), "a", ""); err != nil {
			t.Fatal(err)
		}
		in := sampleInput(t, "evaluation")
		in.TenantID = tid
		// Another tenant's record for the same meetingCode must not leak in.
		if err := store.PutCorrelation(ctx, &Correlation{TenantID: other, MeetingCode: in.MeetingCode, Attributes: map[string]string{"candidate_id": "x"}}); err != nil {
			t.Fatal(err)
		}
		_, err := mapper.Render(ctx, ep, in)
		if !IsCorrelationMissing(err) || err.Error() != "correlation candidate_id missing for meetingCode Boooply-AI-1234567890" {
			t.Fatalf("err = %v, want correlation candidate_id missing", err)
		}
		if err := store.PutCorrelation(ctx, &Correlation{TenantID: tid, MeetingCode: in.MeetingCode, Attributes: map[string]string{"candidate_id": "55 6"}}); err != nil {
			t.Fatal(err)
		}
		r, err := mapper.Render(ctx, ep, in)
		if err != nil || r.URL != "https://harvest.example/v1/candidates/55%206/notes" || string(r.Body) != `{"candidateId":"55 6","s":72}` {
			t.Fatalf("after the record: %s %s (err %v)", r.URL, r.Body, err)
		}
	})
}

func mustParse(t testing.TB, spec string) *Mapping {
	t.Helper()
	m, err := ParseMapping([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCreateVersionRefusesInvalidAndForeignEndpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		a, _ := mustCreateTenant(t, db.Gorm, "org_a", "https://a.example/")
		_, eb := mustCreateTenant(t, db.Gorm, "org_b", "https://b.example/")
		store := NewStore(db.Gorm)
		if _, err := store.CreateVersion(ctx, a, eb, &Mapping{Mode: ModePassthrough}, "", ""); err == nil {
			t.Fatal("saved a mapping on another tenant's endpoint")
		}
		if _, err := store.CreateVersion(ctx, a, eb, &Mapping{Mode: "nope"}, "", ""); err == nil {
			t.Fatal("saved an invalid mapping")
		}
		if vs, err := store.ListVersions(ctx, a, eb); err == nil || len(vs) != 0 {
			t.Fatalf("listed %d versions of a foreign endpoint (err %v)", len(vs), err)
		}
	})
}
