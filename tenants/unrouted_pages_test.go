package tenants

import (
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/testdb"
	ui "github.com/switchboard-gw/switchboard/views"
)

// TestUnroutedPages renders the Unrouted screen per role: groups by
// sourceId with escaped candidate names, the create-tenant shortcut for
// editors, "deliver held events" for roles that may retry, only the groups
// of their tenants' sourceIds for a scoped user, and a refused forced POST
// for viewers.
func TestUnroutedPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ed := newTestEditor(t, db.Gorm)
		owned := mustCreateTenant(t, ed, "Owner Co", "org_owned_later", StatusActive, EndpointInput{URL: ptr("https://ats.example/hook")})
		bare := mustCreateTenant(t, ed, "Bare Co", "org_bare", StatusActive) // no endpoint yet
		for i, src := range []string{"org_new_customer", "org_new_customer", "org_owned_later"} {
			err := db.Gorm.Exec("INSERT INTO events (event_type, meeting_code, source_id, revision, fingerprint, body, received_at, candidate_name) VALUES ('interview.scores', ?, ?, 1, 'f', ?, ?, ?)",
				"m-un-"+strconv.Itoa(i), src, []byte("{}"), time.Now().UTC(), `<script>alert(1)</script>`).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		held := &countingHeld{}
		app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
			if p, ok := problem.As(err); ok {
				return c.Status(problem.Status(p.Code)).JSON(p)
			}
			return c.Status(500).SendString(err.Error())
		}})
		audit := auth.NewStore(db.Gorm)
		admin := app.Group("/admin", func(c *fiber.Ctx) error {
			auth.SetAuditor(c, audit)
			if role := c.Get("X-Role"); role != "" {
				p := &auth.Principal{Email: role + "@test", Role: auth.Role(role)}
				if s := c.Get("X-Scope"); s != "" {
					id, _ := strconv.ParseInt(s, 10, 64)
					p.TenantIDs = []int64{id}
				}
				auth.SetPrincipal(c, p)
			}
			return c.Next()
		})
		UnroutedRoutes(admin, NewUnroutedPages(NewStore(db.Gorm), held, func(c *fiber.Ctx, title, active string) ui.Meta {
			return ui.Meta{Title: title, Active: active}
		}))
		deliver := "/admin/unrouted/" + strconv.FormatInt(owned.ID, 10) + "/deliver"
		cases := []struct {
			name, role, scope, method, path string
			wantStatus                      int
			want, notWant                   []string
		}{
			{"anonymous", "", "", "GET", "/admin/unrouted", 401, nil, nil},
			{"admin sees groups and both actions", "admin", "", "GET", "/admin/unrouted", 200,
				[]string{"org_new_customer", "/admin/tenants/new?source_id=org_new_customer", "Owner Co", deliver, "&lt;script&gt;", "Content-Security-Policy"}, []string{"<script>alert"}},
			{"support may deliver, not create", "support", "", "GET", "/admin/unrouted", 200,
				[]string{"org_new_customer", deliver}, []string{"create-tenant-for-source"}},
			{"viewer reads only", "viewer", "", "GET", "/admin/unrouted", 200,
				[]string{"org_new_customer"}, []string{"create-tenant-for-source", deliver}},
			{"scoped user sees its own sourceId's held events only", "support", strconv.FormatInt(owned.ID, 10), "GET", "/admin/unrouted", 200,
				[]string{"org_owned_later", "Owner Co", deliver}, []string{"org_new_customer", "Nothing held"}},
			{"scoped user with nothing held is told why", "support", strconv.FormatInt(bare.ID, 10), "GET", "/admin/unrouted", 200,
				[]string{"Nothing held for your tenants", "only to users who see every tenant"}, []string{"org_new_customer", "org_owned_later"}},
			{"viewer's forced post refused", "viewer", "", "POST", deliver, 403, nil, nil},
			{"support delivers", "support", "", "POST", deliver, 303, nil, nil},
			{"deliver to a missing tenant", "admin", "", "POST", "/admin/unrouted/999/deliver", 404, nil, nil},
			// Delivering to a tenant without an endpoint would attach the
			// events with nowhere to send them (and the button would be gone).
			{"deliver to a tenant without an endpoint", "admin", "", "POST", "/admin/unrouted/" + strconv.FormatInt(bare.ID, 10) + "/deliver", 409,
				[]string{"add one first"}, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest(tc.method, tc.path, nil)
				req.Header.Set("X-Role", tc.role)
				req.Header.Set("X-Scope", tc.scope)
				resp, err := app.Test(req, 10000)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				page := string(b)
				for k, v := range resp.Header {
					page += "\n" + k + ": " + strings.Join(v, ",")
				}
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("status %d, want %d: %.300s", resp.StatusCode, tc.wantStatus, page)
				}
				for _, w := range tc.want {
					if !strings.Contains(page, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, w := range tc.notWant {
					if strings.Contains(page, w) {
						t.Errorf("page contains %q", w)
					}
				}
			})
		}
		if held.delivered != 1 {
			t.Errorf("DeliverHeld called %d times, want 1 (support's post)", held.delivered)
		}
		var audited int64
		db.Gorm.Raw("SELECT COUNT(*) FROM audit_log WHERE action = 'unrouted.deliver_held' AND actor = 'support@test' AND tenant_id = ?", owned.ID).Scan(&audited)
		if audited != 1 {
			t.Errorf("deliver held from the page: %d audit rows, want 1", audited)
		}
	})
}
