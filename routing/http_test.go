package routing

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// mustCreateTenant creates a tenant with one endpoint and returns both ids.
func mustCreateTenant(t testing.TB, db *gorm.DB, sourceID, url string) (int64, int64) {
	t.Helper()
	tn := &tenants.Tenant{Name: "T " + sourceID, SourceID: sourceID, Status: tenants.StatusActive}
	ep := &tenants.Endpoint{URL: url, Enabled: true, Subscriptions: []string{}, Headers: map[string]string{}, AuthType: tenants.AuthNone}
	if err := tenants.NewStore(db).CreateTenant(context.Background(), tn, []*tenants.Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	return tn.ID, ep.ID
}

// testApp mounts the API with a principal of role, scoped to scope (nil: all).
func testApp(db *database.DB, role auth.Role, scope []int64) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		if p, ok := problem.As(err); ok {
			return c.Status(problem.Status(p.Code)).JSON(p)
		}
		return c.Status(500).JSON(fiber.Map{"code": "internal", "message": err.Error()})
	}})
	audit := auth.NewStore(db.Gorm)
	api := app.Group("/api/v1", func(c *fiber.Ctx) error {
		auth.SetAuditor(c, audit)
		if role != "" {
			auth.SetPrincipal(c, &auth.Principal{Email: string(role) + "@example.com", Role: role, TenantIDs: scope})
		}
		return c.Next()
	})
	samples := func(et string) ([]byte, error) {
		name := strings.TrimPrefix(et, "interview.")
		for _, s := range sampleNames {
			if s == name {
				return readSample(name)
			}
		}
		return nil, fmt.Errorf("no sample %q", et)
	}
	Routes(api, NewHandler(NewStore(db.Gorm), samples, eventsFrom(db)))
	return app
}

// eventsFrom reads the real events table (what main wires over webhooks.Store).
func eventsFrom(db *database.DB) EventFunc {
	return func(ctx context.Context, id int64) (*StoredEvent, error) {
		var ev StoredEvent
		res := db.Gorm.WithContext(ctx).Raw("SELECT tenant_id, event_type, meeting_code, revision, body FROM events WHERE id = ?", id).Scan(&ev)
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 0 {
			return nil, problem.NotFound("event")
		}
		return &ev, nil
	}
}

// mustInsertEvent stores a sample as an event of tenantID (nil: unrouted).
func mustInsertEvent(t testing.TB, db *database.DB, tenantID *int64, sample string) int64 {
	t.Helper()
	body, _ := readSample(sample)
	var id int64
	err := db.Gorm.Raw(`INSERT INTO events (event_type, meeting_code, tenant_id, revision, fingerprint, body, received_at)
		VALUES (?, ?, ?, 1, ?, ?, ?) RETURNING id`, "interview."+sample, "Boooply-AI-1234567890", tenantID,
		fmt.Sprint("fp-", sample, tenantID != nil), body, time.Now().UTC()).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type scenario struct {
	name         string
	role         auth.Role
	scope        []int64
	method, path string
	body         string
	wantStatus   int
	wantContains []string
	wantNot      []string
}

func runScenarios(t *testing.T, db *database.DB, cases []scenario) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := testApp(db, tc.role, tc.scope).Test(req, 10000)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.wantStatus, b)
			}
			for _, s := range tc.wantContains {
				if !strings.Contains(string(b), s) {
					t.Errorf("body %s\nlacks %q", b, s)
				}
			}
			for _, s := range tc.wantNot {
				if strings.Contains(string(b), s) {
					t.Errorf("body %s\ncontains %q", b, s)
				}
			}
		})
	}
}

const goodMapping = `{"mapping":{"mode":"rules","rules":[{"target":"name","from":"data.candidateName"}]},"comment":"first"}`

func TestMappingAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a, ea := mustCreateTenant(t, db.Gorm, "org_a", "https://a.example/hook")
		b, eb := mustCreateTenant(t, db.Gorm, "org_b", "https://b.example/hook")
		pa := fmt.Sprintf("/api/v1/tenants/%d/endpoints/%d/mapping", a, ea)
		pb := fmt.Sprintf("/api/v1/tenants/%d/endpoints/%d/mapping", b, eb)
		wrongEP := fmt.Sprintf("/api/v1/tenants/%d/endpoints/%d/mapping", a, eb)
		runScenarios(t, db, []scenario{
			{"no mapping yet is passthrough", auth.RoleViewer, nil, "GET", pa, "", 200, []string{`"mode":"passthrough"`, `"version":null`}, nil},
			{"anonymous is refused", "", nil, "GET", pa, "", 401, nil, nil},
			{"viewer cannot save", auth.RoleViewer, nil, "PUT", pa, goodMapping, 403, nil, nil},
			{"support cannot save", auth.RoleSupport, nil, "PUT", pa, goodMapping, 403, nil, nil},
			{"admin saves version 1", auth.RoleAdmin, nil, "PUT", pa, goodMapping, 201, []string{`"number":1`, `"author":"admin@example.com"`, `"comment":"first"`}, nil},
			{"admin saves version 2", auth.RoleAdmin, nil, "PUT", pa, `{"mapping":{"mode":"jq","program":"{n: .data.candidateName}"}}`, 201, []string{`"number":2`}, nil},
			{"invalid mapping is 422 with details", auth.RoleAdmin, nil, "PUT", pa,
				`{"mapping":{"mode":"rules","rules":[{"target":"a","from":"x","ops":["uper"]}]}}`, 422,
				[]string{`"field":"rules[0].ops[0]"`, `unknown operation`}, nil},
			{"jq compile error is 422", auth.RoleAdmin, nil, "PUT", pa, `{"mapping":{"mode":"jq","program":"{"}}`, 422, []string{`"field":"program"`}, nil},
			{"malformed body is 400", auth.RoleAdmin, nil, "PUT", pa, `{"mapping":`, 400, nil, nil},
			{"endpoint of another tenant is 404", auth.RoleAdmin, nil, "PUT", wrongEP, goodMapping, 404, nil, nil},
			{"current is version 2", auth.RoleViewer, nil, "GET", pa, "", 200, []string{`"number":2`, `"mode":"jq"`}, nil},
			{"versions newest first", auth.RoleSupport, nil, "GET", pa + "/versions", "", 200, []string{`"number":2`, `"number":1`}, nil},
			{"one version", auth.RoleViewer, nil, "GET", pa + "/versions/1", "", 200, []string{`"mode":"rules"`}, nil},
			{"unknown version", auth.RoleViewer, nil, "GET", pa + "/versions/9", "", 404, nil, nil},
			{"diff", auth.RoleViewer, nil, "GET", pa + "/diff?from=1&to=2", "", 200, []string{`-   \"mode\": \"rules\"`, `+   \"mode\": \"jq\"`}, nil},
			{"diff needs numbers", auth.RoleViewer, nil, "GET", pa + "/diff?from=x&to=2", "", 422, []string{`"field":"from"`}, nil},
			{"viewer cannot restore", auth.RoleViewer, nil, "POST", pa + "/restore", `{"version":1}`, 403, nil, nil},
			{"restore makes version 3", auth.RoleAdmin, nil, "POST", pa + "/restore", `{"version":1}`, 201, []string{`"number":3`, `restored version 1`, `"mode":"rules"`}, nil},
			{"scoped support sees own tenant", auth.RoleSupport, []int64{a}, "GET", pa + "/versions", "", 200, []string{`"number":3`}, nil},
			{"scoped support cannot see other tenant", auth.RoleSupport, []int64{a}, "GET", pb, "", 404, nil, []string{"mode"}},
			{"ops list", auth.RoleViewer, nil, "GET", "/api/v1/mapping/ops", "", 200, []string{`"name":"scale"`, `"min_args":4`}, nil},
			{"presets list", auth.RoleViewer, nil, "GET", "/api/v1/mapping/presets", "", 200, []string{`"name":"kombo-assessment-result"`, `"interview.evaluation"`}, nil},
		})
	})
}

func TestPreviewAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a, ea := mustCreateTenant(t, db.Gorm, "org_a", "https://a.example/hook")
		if _, err := NewStore(db.Gorm).CreateVersion(context.Background(), a, ea,
			&Mapping{Mode: ModeJQ, Program: "{score: .data.scores.overall}"}, "t", ""); err != nil {
			t.Fatal(err)
		}
		owned := mustInsertEvent(t, db, &a, "evaluation")
		unrouted := mustInsertEvent(t, db, nil, "scores")
		if err := NewStore(db.Gorm).PutCorrelation(context.Background(), &Correlation{TenantID: a, MeetingCode: "Boooply-AI-1234567890",
			Attributes: map[string]string{"candidate_id": "c-77"}}); err != nil {
			t.Fatal(err)
		}
		eventDraft := func(id int64) string {
			return fmt.Sprintf(`{"mapping":{"mode":"rules","rules":[{"target":"c","from":"correlation.candidate_id"},{"target":"e","from":"event"}]},"event_id":%d}`, id)
		}
		runScenarios(t, db, []scenario{
			{"stored event uses its tenant's correlation", auth.RoleViewer, []int64{a}, "POST", "/api/v1/mapping/preview", eventDraft(owned), 200,
				[]string{`"output":{"c":"c-77","e":"interview.evaluation"}`}, nil},
			{"stored event of another tenant", auth.RoleViewer, []int64{a + 100}, "POST", "/api/v1/mapping/preview", eventDraft(owned), 404, nil, []string{"c-77"}},
			{"unrouted event hidden from scoped users", auth.RoleSupport, []int64{a}, "POST", "/api/v1/mapping/preview", eventDraft(unrouted), 404, nil, nil},
			{"unrouted event visible to admins", auth.RoleAdmin, nil, "POST", "/api/v1/mapping/preview", eventDraft(unrouted), 200, []string{`"e":"interview.scores"`}, nil},
			{"unknown event", auth.RoleAdmin, nil, "POST", "/api/v1/mapping/preview", eventDraft(999999), 404, nil, nil},
			{"draft on a sample", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview",
				`{"mapping":{"mode":"rules","rules":[{"target":"n","template":"{{data.candidateName}} — {{data.recommendation}}"}]},"sample":"evaluation"}`,
				200, []string{`"ok":true`, `"output":{"n":"Jane Doe — PASS"}`}, nil},
			{"saved version", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview",
				fmt.Sprintf(`{"tenant_id":%d,"endpoint_id":%d,"version":1,"sample":"scores"}`, a, ea), 200, []string{`"output":{"score":72}`}, nil},
			{"saved version out of scope", auth.RoleViewer, []int64{a + 100}, "POST", "/api/v1/mapping/preview",
				fmt.Sprintf(`{"tenant_id":%d,"endpoint_id":%d,"version":1,"sample":"scores"}`, a, ea), 404, nil, nil},
			{"rule error names rule and path", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview",
				`{"mapping":{"mode":"rules","rules":[{"target":"s","from":"data.title","ops":[{"op":"scale","args":["1","5","0","100"]}]}]},"sample":"evaluation"}`,
				200, []string{`"ok":false`, `"field":"rules[0].ops[0]"`, `target s: scale: \"Senior Frontend Engineer Interview\" is not a number`}, nil},
			{"jq string repetition is a mapping error, not a 100 MB string", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview",
				`{"mapping":{"mode":"jq","program":"{n: (\"x\" * 1e8 | length)}"},"sample":"scores"}`,
				200, []string{`"ok":false`, `string repetition (1 bytes × 1e+08) is longer than 4194304 bytes`}, []string{`"n":100000000`}},
			{"invalid draft lists details", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview",
				`{"mapping":{"mode":"rules","rules":[{"target":"a","from":"x..y"}]},"sample":"evaluation"}`, 200, []string{`"ok":false`, `"field":"rules[0].from"`}, nil},
			{"missing correlation", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview",
				`{"mapping":{"mode":"passthrough"},"sample":"evaluation","url":"https://x.example/c/{{correlation.candidate_id}}"}`, 200,
				[]string{`"field":"correlation.candidate_id"`, `missing for meetingCode`}, nil},
			{"correlation given", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview",
				`{"mapping":{"mode":"passthrough"},"sample":"evaluation","url":"https://x.example/c/{{correlation.candidate_id}}","correlation":{"candidate_id":"7"}}`, 200,
				[]string{`"url":"https://x.example/c/7"`}, nil},
			{"unknown sample", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview", `{"mapping":{"mode":"passthrough"},"sample":"nope"}`, 422, []string{`no sample`}, nil},
			{"no input", auth.RoleViewer, nil, "POST", "/api/v1/mapping/preview", `{"mapping":{"mode":"passthrough"}}`, 422, nil, nil},
			{"anonymous", "", nil, "POST", "/api/v1/mapping/preview", `{}`, 401, nil, nil},
		})
	})
}

func TestCorrelationAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a, _ := mustCreateTenant(t, db.Gorm, "org_a", "https://a.example/hook")
		b, _ := mustCreateTenant(t, db.Gorm, "org_b", "https://b.example/hook")
		pa := fmt.Sprintf("/api/v1/tenants/%d/correlations/Boooply-AI-1", a)
		pb := fmt.Sprintf("/api/v1/tenants/%d/correlations/Boooply-AI-1", b)
		runScenarios(t, db, []scenario{
			{"viewer cannot write", auth.RoleViewer, nil, "PUT", pa, `{"attributes":{"candidate_id":"1"}}`, 403, nil, nil},
			{"admin writes", auth.RoleAdmin, nil, "PUT", pa, `{"attributes":{"candidate_id":"1"}}`, 200, []string{`"candidate_id":"1"`}, nil},
			{"admin replaces", auth.RoleAdmin, nil, "PUT", pa, `{"attributes":{"candidate_id":"2","order_id":"o"}}`, 200, []string{`"candidate_id":"2"`, `"order_id":"o"`}, nil},
			{"empty attributes are 422", auth.RoleAdmin, nil, "PUT", pa, `{"attributes":{}}`, 422, []string{`"field":"attributes"`}, nil},
			{"dotted names are 422", auth.RoleAdmin, nil, "PUT", pa, `{"attributes":{"a.b":"1"}}`, 422, nil, nil},
			{"viewer reads", auth.RoleViewer, nil, "GET", pa, "", 200, []string{`"candidate_id":"2"`}, nil},
			{"other tenant has none", auth.RoleAdmin, nil, "GET", pb, "", 404, nil, nil},
			{"scoped viewer cannot read other tenant", auth.RoleViewer, []int64{b}, "GET", pa, "", 404, nil, []string{"candidate_id"}},
			{"bulk import", auth.RoleAdmin, nil, "POST", fmt.Sprintf("/api/v1/tenants/%d/correlations", b),
				`{"records":{"Boooply-AI-1":{"order_id":"b1"},"Boooply-AI-2":{"order_id":"b2"}}}`, 200, []string{`"saved":2`}, nil},
			{"bulk import is all or nothing", auth.RoleAdmin, nil, "POST", fmt.Sprintf("/api/v1/tenants/%d/correlations", b),
				`{"records":{"Boooply-AI-1":{"order_id":"changed"},"Boooply-AI-3":{}}}`, 422, []string{`"field":"records.Boooply-AI-3"`}, nil},
			{"bulk import kept the old value", auth.RoleViewer, nil, "GET", pb, "", 200, []string{`"order_id":"b1"`}, []string{"changed"}},
			{"viewer cannot bulk import", auth.RoleViewer, nil, "POST", fmt.Sprintf("/api/v1/tenants/%d/correlations", b), `{"records":{"x":{"a":"1"}}}`, 403, nil, nil},
			{"admin deletes", auth.RoleAdmin, nil, "DELETE", pa, "", 204, nil, nil},
			{"gone", auth.RoleAdmin, nil, "GET", pa, "", 404, nil, nil},
			// Path parameters are unescaped: a meetingCode with a space or a
			// slash, imported in bulk, is read and deleted by its escaped form.
			{"bulk import of odd codes", auth.RoleAdmin, nil, "POST", fmt.Sprintf("/api/v1/tenants/%d/correlations", b),
				`{"records":{"x y":{"order_id":"sp"},"a/b":{"order_id":"sl"}}}`, 200, []string{`"saved":2`}, nil},
			{"escaped space", auth.RoleViewer, nil, "GET", fmt.Sprintf("/api/v1/tenants/%d/correlations/x%%20y", b), "", 200, []string{`"order_id":"sp"`}, nil},
			{"escaped slash", auth.RoleViewer, nil, "GET", fmt.Sprintf("/api/v1/tenants/%d/correlations/a%%2Fb", b), "", 200, []string{`"order_id":"sl"`}, nil},
			{"delete escaped", auth.RoleAdmin, nil, "DELETE", fmt.Sprintf("/api/v1/tenants/%d/correlations/x%%20y", b), "", 204, nil, nil},
		})
	})
}
