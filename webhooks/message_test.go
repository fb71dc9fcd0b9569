package webhooks

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestWebhookIDFollowsBody: retries keep the webhook-id; a replay of the
// same bytes keeps it (receivers may drop it as the duplicate it is); a
// replay whose body differs from the one last delivered (the mapping
// changed, or changed back) gets the next id, kept by its own retries.
// Every request verifies under the id it carries, and each attempt's
// record shows that id.
func TestWebhookIDFollowsBody(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		e := startEngine(t, db, engineOpts{})
		var failing atomic.Int32 // answers 503 while positive
		h := newHook(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			if failing.Add(-1) >= 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
		tn, ep := createTenant(t, db, "org_msgid", h.URL+"/hook", func(ep *tenants.Endpoint) {
			ep.SigningSecretSealed, _ = e.keyring.Seal([]byte(secret), fmt.Sprintf("endpoint:%d:signing", ep.ID))
		})
		maps := routing.NewStore(db.Gorm)
		mapTo := func(field string) {
			spec, err := routing.ParseMapping([]byte(`{"mode":"rules","rules":[{"target":"` + field + `","from":"data.summary"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := maps.CreateVersion(ctx, tn.ID, ep.ID, spec, "test", ""); err != nil {
				t.Fatal(err)
			}
		}
		mapTo("summary")
		failing.Store(1)
		evID := e.ingest(t, "org_msgid", "m-msgid")
		d := deliveryOf(t, db, evID)
		first := fmt.Sprintf("dlv_%d", d.ID)
		steps := []struct {
			name     string
			mapTo    string // "" keeps the mapping
			failures int32
			wantID   string
			wantBody string
		}{
			{name: "first delivery, retried once", failures: 1, wantID: first, wantBody: `{"summary":"s"}`},
			{name: "replay of the same bytes", wantID: first, wantBody: `{"summary":"s"}`},
			{name: "replay after a mapping change, retried once", mapTo: "note", failures: 1, wantID: first + "_r1", wantBody: `{"note":"s"}`},
			{name: "replay of those bytes", wantID: first + "_r1", wantBody: `{"note":"s"}`},
			{name: "replay after changing the mapping back", mapTo: "summary", wantID: first + "_r2", wantBody: `{"summary":"s"}`},
		}
		sent := 0
		for i, step := range steps {
			if i > 0 {
				if step.mapTo != "" {
					mapTo(step.mapTo)
				}
				failing.Store(step.failures)
				if _, err := e.svc.Replay(ctx, nil, evID, ep.ID); err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
			}
			want := sent + 1 + int(step.failures)
			waitUntil(t, step.name, func() bool {
				return len(h.got()) >= want && deliveryOf(t, db, evID).Status == DeliveryDelivered
			})
			reqs, atts := h.got(), attemptsOf(t, db, d.ID)
			if len(reqs) != want || len(atts) != want {
				t.Fatalf("%s: %d requests, %d attempts; want %d", step.name, len(reqs), len(atts), want)
			}
			for j := sent; j < want; j++ {
				r := reqs[j]
				if got := r.header.Get("webhook-id"); got != step.wantID || string(r.body) != step.wantBody {
					t.Errorf("%s: request %d carried %q with %s, want %q with %s", step.name, j+1, got, r.body, step.wantID, step.wantBody)
				}
				if err := verifyStandardWebhook(secret, r.header, r.body, time.Now()); err != nil {
					t.Errorf("%s: request %d does not verify: %v", step.name, j+1, err)
				}
				if got := atts[j].RequestHeaders["Webhook-Id"]; got != step.wantID {
					t.Errorf("%s: attempt %d recorded webhook-id %q, want %q", step.name, atts[j].Number, got, step.wantID)
				}
			}
			sent = want
		}
	})
}

// TestMessageOf: the webhook-id of a body follows from the delivery's
// record alone, so every try before the next recorded delivery (a retry,
// a resend after a crash) carries the same one.
func TestMessageOf(t *testing.T) {
	body := []byte(`{"summary":"s"}`)
	sum := messageOf(&Delivery{}, body).sum
	other := messageOf(&Delivery{}, []byte(`{"note":"s"}`)).sum
	at := time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		d    Delivery
		want string
	}{
		{name: "never delivered", d: Delivery{ID: 7}, want: "dlv_7"},
		{name: "never delivered, retried many times", d: Delivery{ID: 7, Attempts: 9}, want: "dlv_7"},
		{name: "delivered these bytes", d: Delivery{ID: 7, DeliveredAt: &at, DeliveredBodySHA256: &sum}, want: "dlv_7"},
		{name: "delivered other bytes", d: Delivery{ID: 7, DeliveredAt: &at, DeliveredBodySHA256: &other}, want: "dlv_7_r1"},
		{name: "delivered these bytes under the second id", d: Delivery{ID: 7, WebhookSeq: 2, DeliveredAt: &at, DeliveredBodySHA256: &sum}, want: "dlv_7_r2"},
		{name: "delivered other bytes under the second id", d: Delivery{ID: 7, WebhookSeq: 2, DeliveredAt: &at, DeliveredBodySHA256: &other}, want: "dlv_7_r3"},
		{name: "delivered before bodies were recorded", d: Delivery{ID: 7, DeliveredAt: &at}, want: "dlv_7_r1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := messageOf(&tc.d, body)
			if m.id != tc.want || m.sum != sum || !strings.HasPrefix(m.id, fmt.Sprintf("dlv_%d", tc.d.ID)) {
				t.Fatalf("messageOf = %+v, want id %s, sum %s", m, tc.want, sum)
			}
		})
	}
}

// BenchmarkMessageOf: the per-attempt cost of naming a body (one SHA-256):
// go test ./webhooks -run XXX -bench MessageOf -benchmem
func BenchmarkMessageOf(b *testing.B) {
	for _, size := range []int{2 << 10, 64 << 10} {
		body := []byte(strings.Repeat("x", size))
		b.Run(fmt.Sprintf("%d_KiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				messageOf(&Delivery{ID: 7}, body)
			}
		})
	}
}
