package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// ownSecretB is tenant org_b's own inbound secret in these tests.
const ownSecretB = "tenant-b-own-secret"

// crossSourceTenants creates org_a (an endpoint that skips revisions and
// one that takes them) and org_b, whose own inbound secret signs only
// org_b's events, whatever meetingCode they name.
func crossSourceTenants(t *testing.T, db *database.DB) (skip, all *tenants.Endpoint, b *tenants.Tenant) {
	t.Helper()
	a := &tenants.Tenant{Name: "A", SourceID: "org_a", Status: tenants.StatusActive}
	skip = &tenants.Endpoint{URL: "https://a.example/skip", Enabled: true, SkipRevisions: true}
	all = &tenants.Endpoint{URL: "https://a.example/all", Enabled: true}
	if err := tenants.NewStore(db.Gorm).CreateTenant(context.Background(), a, []*tenants.Endpoint{skip, all}); err != nil {
		t.Fatal(err)
	}
	b = mustCreateTenant(t, db, "org_b", "https://b.example/hook")
	sealed, err := testKeyring(t).Seal([]byte(ownSecretB), TenantInboundContext(b.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Gorm.Model(&tenants.Tenant{}).Where("id = ?", b.ID).Update("inbound_secret_sealed", sealed).Error; err != nil {
		t.Fatal(err)
	}
	return skip, all, b
}

// scoresOf is an interview.scores event of meetingCode m1 from source
// (omitted when empty) with the given score and envelope timestamp.
func scoresOf(source, score, timestamp string) []byte {
	src := ""
	if source != "" {
		src = `"sourceId":"` + source + `",`
	}
	return []byte(`{"event":"interview.scores","timestamp":"` + timestamp + `","data":{` + src + `"meetingCode":"m1","score":` + score + `}}`)
}

// TestRevisionsKeyedBySource: an event tenant B signs with its own secret
// for A's meetingCode first neither makes A's genuine event a revision
// (A's skip-revisions endpoint still gets it) nor shows among A's
// revisions; A's redelivery is still a duplicate and A's re-fire still
// revision 2, counted and listed apart from B's.
func TestRevisionsKeyedBySource(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		skip, all, _ := crossSourceTenants(t, db)
		h, _, _ := newTestHandler(t, db, BearerAccepted, hookSecret)
		app := testApp(h)
		post := func(name string, body []byte, secret string) IngestResult {
			t.Helper()
			status, resp, _ := postWebhook(t, app, body, map[string]string{"X-Boooply-Signature": sign(secret, body)})
			var r IngestResult
			if status != 200 || json.Unmarshal([]byte(resp), &r) != nil {
				t.Fatalf("%s: %d %s", name, status, resp)
			}
			return r
		}
		steps := []struct {
			name, source, score, timestamp, secret string
			wantStatus                             IngestStatus
			wantRevision, wantDeliveries           int
		}{
			{"B's own-secret event for A's meetingCode", "org_b", "1", "2026-01-01T00:00:00Z", ownSecretB, Accepted, 1, 1},
			{"A's genuine event", "org_a", "2", "2026-01-01T00:00:01Z", hookSecret, Accepted, 1, 2},
			{"A's redelivery", "org_a", "2", "2026-01-01T00:00:09Z", hookSecret, Duplicate, 1, 0},
			{"A's re-fire", "org_a", "3", "2026-01-01T00:00:10Z", hookSecret, Accepted, 2, 1},
		}
		ids := map[string]int64{}
		for _, s := range steps {
			r := post(s.name, scoresOf(s.source, s.score, s.timestamp), s.secret)
			if r.Status != s.wantStatus || r.Revision != s.wantRevision || r.Deliveries != s.wantDeliveries {
				t.Errorf("%s: %+v, want %s revision %d with %d deliveries", s.name, r, s.wantStatus, s.wantRevision, s.wantDeliveries)
			}
			ids[s.name] = r.EventID
		}
		if ids["A's redelivery"] != ids["A's genuine event"] {
			t.Errorf("redelivery answered event %d, want %d", ids["A's redelivery"], ids["A's genuine event"])
		}
		for ep, want := range map[int64]int64{skip.ID: 1, all.ID: 2} {
			if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries WHERE endpoint_id = ?", ep); n != want {
				t.Errorf("endpoint %d: %d deliveries, want %d", ep, n, want)
			}
		}
		a, b := "org_a", "org_b"
		for _, tc := range []struct {
			chain EventChain
			want  []int64
		}{
			{EventChain{SourceID: &a, MeetingCode: "m1", EventType: "interview.scores"}, []int64{ids["A's genuine event"], ids["A's re-fire"]}},
			{EventChain{SourceID: &b, MeetingCode: "m1", EventType: "interview.scores"}, []int64{ids["B's own-secret event for A's meetingCode"]}},
		} {
			revs, err := NewStore(db.Gorm).ListRevisions(ctx, tc.chain)
			if got := eventIDs(revs); err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("revisions of %s: %v (%v), want %v", *tc.chain.SourceID, got, err, tc.want)
			}
		}
	})
}

func eventIDs(evs []Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// TestNullSourceRevisions: events without a sourceId are one source of
// their own: a redelivery is a duplicate, a re-fire revision 2, and a
// sourced event of the same meetingCode starts its own chain.
func TestNullSourceRevisions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := newTestService(t, db)
		mustCreateTenant(t, db, "org_a", "https://a.example/hook")
		steps := []struct {
			name, source, score, timestamp string
			wantStatus                     IngestStatus
			wantRevision                   int
		}{
			{"first", "", "1", "2026-01-01T00:00:00Z", Accepted, 1},
			{"redelivery", "", "1", "2026-01-01T00:00:05Z", Duplicate, 1},
			{"re-fire", "", "2", "2026-01-01T00:00:06Z", Accepted, 2},
			{"a source's event of the same meeting", "org_a", "1", "2026-01-01T00:00:07Z", Accepted, 1},
		}
		for _, s := range steps {
			r, err := svc.Ingest(context.Background(), mustParse(t, string(scoresOf(s.source, s.score, s.timestamp))))
			if err != nil || r.Status != s.wantStatus || r.Revision != s.wantRevision {
				t.Errorf("%s: %+v, %v; want %s revision %d", s.name, r, err, s.wantStatus, s.wantRevision)
			}
		}
		if n := count(t, db.Gorm, "SELECT duplicates FROM events WHERE source_id IS NULL AND revision = 1"); n != 1 {
			t.Errorf("duplicates of the null-source revision 1 = %d, want 1", n)
		}
	})
}

// TestBatchKeysBySource: one group commit holding revision 1 of the same
// meetingCode from two sources and from none stores three events and ties
// each delivery to its own source's event (PostgreSQL joins deliveries to
// events by that key inside the one insert statement); copies in the same
// batch are duplicates of their own source's event only.
func TestBatchKeysBySource(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		svc := newTestService(t, db)
		ta := mustCreateTenant(t, db, "org_a", "https://a.example/hook")
		tb := mustCreateTenant(t, db, "org_b", "https://b.example/hook")
		ins := []Inbound{
			mustParse(t, string(scoresOf("org_b", "1", "2026-01-01T00:00:00Z"))),
			mustParse(t, string(scoresOf("org_a", "2", "2026-01-01T00:00:00Z"))),
			mustParse(t, string(scoresOf("", "3", "2026-01-01T00:00:00Z"))),
			mustParse(t, string(scoresOf("org_a", "2", "2026-01-01T00:00:01Z"))),
			mustParse(t, string(scoresOf("", "3", "2026-01-01T00:00:01Z"))),
		}
		var res []IngestResult
		err := db.Gorm.Transaction(func(tx *gorm.DB) error {
			var err error
			res, err = svc.ingestTx(context.Background(), tx, ins, time.Now().UTC())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res {
			got = append(got, string(r.Status)+" r"+strconv.Itoa(r.Revision))
		}
		if want := "accepted r1,accepted r1,accepted r1,duplicate r1,duplicate r1"; strings.Join(got, ",") != want {
			t.Fatalf("results %v, want %s", got, want)
		}
		if res[3].EventID != res[1].EventID || res[4].EventID != res[2].EventID {
			t.Errorf("copies answered events %d and %d, want %d and %d", res[3].EventID, res[4].EventID, res[1].EventID, res[2].EventID)
		}
		for tenant, event := range map[int64]int64{ta.ID: res[1].EventID, tb.ID: res[0].EventID} {
			if n := count(t, db.Gorm, "SELECT COUNT(*) FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.tenant_id = ? AND e.id = ?", tenant, event); n != 1 {
				t.Errorf("tenant %d: %d deliveries of event %d, want 1", tenant, n, event)
			}
		}
	})
}

// TestEventPagesKeepSourcesApart: the event page's revisions link lists its
// own source's chain only, and the events list counts later revisions per
// source: B's event for A's meetingCode is neither among A's revisions nor
// counted as A's later revision.
func TestEventPagesKeepSourcesApart(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		e := startEngine(t, db, engineOpts{})
		crossSourceTenants(t, db)
		ingest := func(body []byte) IngestResult {
			t.Helper()
			r, err := e.svc.Ingest(context.Background(), mustParse(t, string(body)))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		first := ingest(scoresOf("org_a", "1", "2026-01-01T00:00:00Z"))
		ingest(scoresOf("org_a", "2", "2026-01-01T00:00:01Z"))
		forged := ingest(scoresOf("org_b", "1", "2026-01-01T00:00:02Z"))
		null := ingest(scoresOf("", "1", "2026-01-01T00:00:03Z"))
		app := testPages(e)
		cases := []struct {
			name, path    string
			wantStatus    int
			want, notWant []string
		}{
			{"event page links its own chain", fmt.Sprintf("/admin/events/%d", first.EventID), 200,
				[]string{fmt.Sprintf(`href="/admin/events?revisions_of=%d"`, first.EventID), "meeting_code=m1&amp;tenant="}, nil},
			{"A's revisions", fmt.Sprintf("/admin/events?revisions_of=%d", first.EventID), 200,
				[]string{`data-testid="revisions-of"`, "org_a", "1 later revision(s)"}, []string{"org_b"}},
			{"B's chain", fmt.Sprintf("/admin/events?revisions_of=%d", forged.EventID), 200,
				[]string{"org_b"}, []string{"org_a", "later revision(s)"}},
			{"the null-source chain", fmt.Sprintf("/admin/events?revisions_of=%d", null.EventID), 200,
				[]string{fmt.Sprintf(`href="/admin/events/%d"`, null.EventID)}, []string{"org_a", "org_b"}},
			{"B's event in the list has no later revision", "/admin/events?source_id=org_b", 200,
				[]string{"org_b"}, []string{"later revision(s)"}},
			{"a bad revisions_of", "/admin/events?revisions_of=x", 422, nil, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				status, body, _ := doPage(t, app, "GET", tc.path, "viewer", "")
				if status != tc.wantStatus {
					t.Fatalf("status %d, want %d: %.400s", status, tc.wantStatus, body)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				for _, w := range tc.notWant {
					if strings.Contains(body, w) {
						t.Errorf("page contains %q", w)
					}
				}
			})
		}
	})
}
