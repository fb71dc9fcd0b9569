package webhooks

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestRevisionForwarded: a re-fired evaluation with new content reaches the
// receiver as revision 2 (header and $meta.revision / meta.revision in the
// mapping); a redelivery that differs only in data.timestamp is not sent.
func TestRevisionForwarded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{})
		jqHook, rulesHook := newHook(t, nil), newHook(t, nil)
		tn, jqEP := createTenant(t, db, "org_rev", jqHook.URL, nil)
		_, rulesEP := createTenant(t, db, "org_rev_rules", rulesHook.URL, nil)
		maps := routing.NewStore(db.Gorm)
		for _, m := range []struct {
			tenant, endpoint int64
			spec             string
		}{
			{tn.ID, jqEP.ID, `{"mode":"jq","program":"{rev: $meta.revision, summary: .data.summary}"}`},
			{rulesEP.TenantID, rulesEP.ID, `{"mode":"rules","rules":[{"target":"rev","from":"meta.revision"},{"target":"summary","from":"data.summary"}]}`},
		} {
			spec, err := routing.ParseMapping([]byte(m.spec))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := maps.CreateVersion(ctx, m.tenant, m.endpoint, spec, "test", ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, src := range []string{"org_rev", "org_rev_rules"} {
			first := `{"event":"interview.evaluation","data":{"meetingCode":"m-` + src + `","sourceId":"` + src + `","summary":"v1","timestamp":"2026-03-21T18:35:00.000Z"}}`
			for _, body := range []string{first, strings.Replace(first, "18:35", "18:36", 1), strings.Replace(first, `"v1"`, `"v2"`, 1)} {
				if _, err := e.svc.Ingest(ctx, mustParse(t, body)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, h := range []*hook{jqHook, rulesHook} {
			waitUntil(t, "two deliveries", func() bool { return len(h.got()) >= 2 })
			got := map[string]string{}
			for _, r := range h.got() {
				got[r.header.Get("X-Switchboard-Revision")] = string(r.body)
			}
			if len(h.got()) != 2 || got["1"] != `{"rev":1,"summary":"v1"}` || got["2"] != `{"rev":2,"summary":"v2"}` {
				t.Fatalf("received %d requests, by revision header %v; want revision 1 (v1) and 2 (v2) only", len(h.got()), got)
			}
		}
	})
}

// TestWorkerJQBound: a jq mapping whose one step would build a 100 MB
// string fails its delivery as a mapping error; nothing is sent.
func TestWorkerJQBound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{})
		h := newHook(t, nil)
		tn, ep := createTenant(t, db, "org_jq", h.URL, nil)
		spec, err := routing.ParseMapping([]byte(`{"mode":"jq","program":"{a: (\"x\" * 1e8 | length)}"}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := routing.NewStore(db.Gorm).CreateVersion(ctx, tn.ID, ep.ID, spec, "test", ""); err != nil {
			t.Fatal(err)
		}
		id := e.ingest(t, "org_jq", "m-jq")
		waitUntil(t, "the delivery to settle", func() bool { return deliveryOf(t, db, id).Status != DeliveryPending })
		d := deliveryOf(t, db, id)
		as := attemptsOf(t, db, d.ID)
		if d.Status != DeliveryFailed || len(as) != 1 || as[0].ErrorClass != "mapping" || !strings.Contains(as[0].Error, "string repetition") {
			t.Fatalf("delivery %s with %d attempts (%+v), want failed once with a mapping error", d.Status, len(as), as)
		}
		if n := len(h.got()); n != 0 {
			t.Fatalf("receiver got %d requests, want none", n)
		}
	})
}
