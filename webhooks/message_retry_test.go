package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestWebhookIDNewBodyAfterFailedTry: a try that failed may still have
// been accepted (the receiver committed, then timed out or answered 5xx),
// so a retry whose body differs (the mapping changed in between) carries
// a new webhook-id; under the old one a deduplicating receiver would drop
// the new body as a duplicate.
func TestWebhookIDNewBodyAfterFailedTry(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{})
		maps := routing.NewStore(db.Gorm)
		var mapTo func(field string)
		h := newHook(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				mapTo("note") // the mapping changes before the retry renders
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		tn, ep := createTenant(t, db, "org_msgid_retry", h.URL+"/hook", nil)
		mapTo = func(field string) {
			spec, err := routing.ParseMapping([]byte(`{"mode":"rules","rules":[{"target":"` + field + `","from":"data.summary"}]}`))
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := maps.CreateVersion(ctx, tn.ID, ep.ID, spec, "test", ""); err != nil {
				t.Error(err)
			}
		}
		mapTo("summary")
		evID := e.ingest(t, "org_msgid_retry", "m-msgid-retry")
		waitUntil(t, "the retry delivered", func() bool { return deliveryOf(t, db, evID).Status == DeliveryDelivered })
		d := deliveryOf(t, db, evID)
		reqs := h.got()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		want := []string{fmt.Sprintf("dlv_%d", d.ID), fmt.Sprintf("dlv_%d_r1", d.ID)}
		wantBody := []string{`{"summary":"s"}`, `{"note":"s"}`}
		for i, r := range reqs {
			if got := r.header.Get("webhook-id"); got != want[i] || string(r.body) != wantBody[i] {
				t.Errorf("request %d carried %q with %s, want %q with %s", i+1, got, r.body, want[i], wantBody[i])
			}
		}
	})
}
