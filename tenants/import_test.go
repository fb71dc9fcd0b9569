package tenants

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// importBody is an import of one tenant per sourceId, each with one endpoint at url.
func importBody(url string, sources ...string) string {
	items := make([]string, len(sources))
	for i, s := range sources {
		items[i] = fmt.Sprintf(`{"name":"Org %d","source_id":%q,"endpoints":[{"url":%q}]}`, i, s, url)
	}
	return `{"tenants":[` + strings.Join(items, ",") + `]}`
}

// manySources returns n distinct sourceIds.
func manySources(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s_%d", prefix, i)
	}
	return out
}

// endpointsItem is an import item of one tenant with n endpoints.
func endpointsItem(source string, n int) string {
	eps := make([]string, n)
	for i := range eps {
		eps[i] = fmt.Sprintf(`{"url":"https://ats.example/%s/%d"}`, source, i)
	}
	return fmt.Sprintf(`{"name":%q,"source_id":%q,"endpoints":[%s]}`, source, source, strings.Join(eps, ","))
}

// importState is what an import may change: tenants, endpoints, tenants.create entries, the routing version.
type importState struct{ tenants, endpoints, audited, version int64 }

func readImportState(t *testing.T, db *gorm.DB) importState {
	t.Helper()
	var s importState
	db.Table("tenants").Count(&s.tenants)
	db.Table("endpoints").Count(&s.endpoints)
	db.Table("audit_log").Where("action = 'tenant.create'").Count(&s.audited)
	s.version = tenantVersion(t, db)
	return s
}

// TestImportTenants: an import creates every tenant with its endpoints and
// their once-shown signing secrets in one transaction (one version bump,
// one tenant.create entry each), or, when any item is refused, nothing;
// the refusal names each bad item's field. Only admins may import.
func TestImportTenants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ed := NewEditor(NewStore(db.Gorm), testRing(t), refuseLoopback{}, testEventTypes)
		mustCreateTenant(t, ed, "Existing", "org_taken", StatusActive)
		mustCreateTenant(t, ed, "Existing 2", "org_taken2", StatusActive)
		app := newTestApp(NewHandler(ed, &countingHeld{}), auth.NewStore(db.Gorm), 0)
		const hook = "https://ats.example/hook"
		cases := []struct {
			name, role, body string
			wantStatus       int
			wantContains     []string
			wantCreated      int64 // tenants added (endpoints: one each)
		}{
			{"viewer refused", "viewer", importBody(hook, "org_v"), 403, []string{`"forbidden"`}, 0},
			{"support refused", "support", importBody(hook, "org_s"), 403, []string{`"forbidden"`}, 0},
			{"all or none: one bad item", "admin", `{"tenants":[` + strings.Join([]string{
				`{"name":"A","source_id":"org_a1"}`, `{"name":"B","source_id":"org_b1"}`, `{"name":"C","source_id":"org_c1"}`,
				`{"name":"D","source_id":"  "}`, `{"name":"E","source_id":"org_e1"}`}, ",") + `]}`,
				422, []string{`"field":"tenants[3].source_id"`}, 0},
			{"every bad item listed", "admin", `{"tenants":[{"name":"","source_id":"org_x1"},{"name":"ok","source_id":"org_x2"},` +
				`{"name":"Z","source_id":"org_x3","endpoints":[{"url":"https://ok.example/"},{"url":"http://127.0.0.1/x"}]}]}`,
				422, []string{`"field":"tenants[0].name"`, `"field":"tenants[2].endpoints[1].url"`, "and 1 more"}, 0},
			{"duplicate within the batch", "admin", importBody(hook, "org_d1", "org_d2", "org_d1"),
				422, []string{`"field":"tenants[2].source_id"`, "repeats tenants[0].source_id"}, 0},
			{"duplicates of existing tenants", "admin", importBody(hook, "org_new1", "org_taken", "org_new2", "org_taken2"),
				409, []string{`"field":"tenants[1].source_id"`, `"field":"tenants[3].source_id"`, "is taken by another tenant"}, 0},
			{"endpoint refused by the SSRF guard", "admin", `{"tenants":[{"name":"F","source_id":"org_f1","endpoints":[{"url":"https://f.example/"}]},` +
				`{"name":"G","source_id":"org_f2","endpoints":[{"url":"http://127.0.0.1:8080/hook"}]}]}`,
				422, []string{`"field":"tenants[1].endpoints[0].url"`, "loopback"}, 0},
			{"over the limit", "admin", importBody(hook, manySources("org_many", MaxImport+1)...), 422, []string{`"field":"tenants"`, "1 to 1000"}, 0},
			{"over the endpoint limit", "admin", `{"tenants":[` + endpointsItem("org_wide1", MaxNewEndpoints/2) + "," +
				endpointsItem("org_wide2", MaxNewEndpoints/2+1) + `]}`, 422, []string{`"field":"tenants"`, "at most 10000"}, 0},
			{"empty", "admin", `{"tenants":[]}`, 422, []string{`"field":"tenants"`}, 0},
			{"unknown field", "admin", `{"tenants":[{"name":"A","source_id":"org_u","colour":"red"}]}`, 400, []string{"colour"}, 0},
			{"dry run writes nothing", "admin", `{"dry_run":true,"tenants":[{"name":"A","source_id":"org_dry"}]}`, 200, []string{`"valid":1`}, 0},
			{"dry run sees taken sourceIds", "admin", `{"dry_run":true,"tenants":[{"name":"A","source_id":"org_taken"}]}`, 409, []string{`"field":"tenants[0].source_id"`}, 0},
			{"success", "admin", importBody(hook, "org_ok1", "org_ok2", "org_ok3"), 201,
				[]string{`"source_id":"org_ok1"`, `"source_id":"org_ok3"`, `"new_signing_secret":"whsec_`}, 3},
			{"the maximum at once", "admin", importBody(hook, manySources("org_max", MaxImport)...), 201, nil, MaxImport},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := readImportState(t, db.Gorm)
				status, body := importCall(t, app, tc.role, tc.body)
				if status != tc.wantStatus {
					t.Fatalf("status = %d, want %d: %.600s", status, tc.wantStatus, body)
				}
				for _, want := range tc.wantContains {
					if !strings.Contains(body, want) {
						t.Errorf("answer lacks %s: %.600s", want, body)
					}
				}
				after := readImportState(t, db.Gorm)
				want := before
				if tc.wantCreated > 0 {
					want = importState{before.tenants + tc.wantCreated, before.endpoints + tc.wantCreated, before.audited + tc.wantCreated, before.version + 1}
					checkImported(t, db.Gorm, body, int(tc.wantCreated))
				}
				if after != want {
					t.Errorf("tenants, endpoints, tenant.create entries, version = %+v, want %+v", after, want)
				}
			})
		}
	})
}

// importCall posts body to the import route as role.
func importCall(t *testing.T, app *fiber.App, role, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/tenants/import", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Role", role)
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// checkImported: the answer lists n tenants in the order sent, each with
// its id and its endpoint's signing secret, which is the one stored
// (sealed for that endpoint) on an endpoint of that tenant.
func checkImported(t *testing.T, db *gorm.DB, body string, n int) {
	t.Helper()
	var out struct {
		Tenants []struct {
			ID        int64  `json:"id"`
			SourceID  string `json:"source_id"`
			Endpoints []struct {
				ID               int64  `json:"id"`
				NewSigningSecret string `json:"new_signing_secret"`
			} `json:"endpoints"`
		} `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Tenants) != n {
		t.Fatalf("answer holds %d tenants (err %v), want %d", len(out.Tenants), err, n)
	}
	ring := testRing(t)
	for i, tn := range out.Tenants {
		if len(tn.Endpoints) != 1 {
			t.Fatalf("tenant %d of the answer has %d endpoints, want 1", i, len(tn.Endpoints))
		}
		if i > 0 && tn.ID <= out.Tenants[i-1].ID {
			t.Fatalf("tenant %d has id %d after %d: not in the order sent", i, tn.ID, out.Tenants[i-1].ID)
		}
		var row struct {
			SourceID, SigningSecretSealed string
		}
		db.Raw("SELECT t.source_id, e.signing_secret_sealed FROM endpoints e JOIN tenants t ON t.id = e.tenant_id WHERE e.id = ? AND t.id = ?",
			tn.Endpoints[0].ID, tn.ID).Scan(&row)
		plain, err := ring.Open(row.SigningSecretSealed, EndpointSecretContext(tn.Endpoints[0].ID, "signing"))
		if row.SourceID != tn.SourceID || err != nil || string(plain) != tn.Endpoints[0].NewSigningSecret || !strings.HasPrefix(string(plain), "whsec_") {
			t.Fatalf("tenant %d (%s): stored %+v (open: %v), want its endpoint with the answered signing secret", i, tn.SourceID, row.SourceID, err)
		}
	}
}

// TestCreateTenantEndpointLimit: one tenant create adds at most
// MaxNewEndpoints endpoints, as an import does: they are written in one
// transaction that every other write waits for on SQLite.
func TestCreateTenantEndpointLimit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ed := newTestEditor(t, db.Gorm)
		inputs := make([]EndpointInput, MaxNewEndpoints+1)
		for i := range inputs {
			inputs[i] = EndpointInput{URL: ptr(fmt.Sprintf("https://ats.example/wide/%d", i))}
		}
		_, err := ed.CreateTenant(context.Background(), &Tenant{Name: "Wide", SourceID: "org_wide", Status: StatusActive}, inputs)
		if field, ok := asProblem(err); !ok || field != "endpoints" {
			t.Fatalf("create with %d endpoints: err %v, want a problem naming endpoints", len(inputs), err)
		}
		if st := readImportState(t, db.Gorm); st.tenants != 0 || st.endpoints != 0 {
			t.Fatalf("after the refusal: %+v, want nothing written", st)
		}
	})
}
