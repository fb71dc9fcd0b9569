package webhooks

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/valyala/fasthttp"
)

func BenchmarkParseInbound(b *testing.B) {
	body, _ := Sample("interview.evaluation")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseInbound(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	body, _ := Sample("interview.evaluation")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := fingerprint(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngest is the whole ack path minus HTTP: verify, extract, and
// the durable write (event + delivery + River job) of a new event routed to
// one endpoint, on each database, one at a time and in parallel, with and
// without group commit.
func BenchmarkIngest(b *testing.B) {
	for i, target := range testdb.Targets(b) {
		for _, mode := range []struct {
			name     string
			parallel bool
			batch    int
		}{{"sequential", false, 0}, {"parallel", true, 0}, {"parallel-batched", true, DefaultBatchMax}} {
			b.Run(target.Name+"/"+mode.name, func(b *testing.B) {
				db := testdb.Open(b, testdb.Targets(b)[i].URL) // a fresh database per run
				benchIngest(b, db, mode.parallel, mode.batch)
			})
		}
	}
}

func benchIngest(b *testing.B, db *database.DB, parallel bool, batch int) {
	h, _, svc := newTestHandler(b, db, BearerAccepted, hookSecret)
	if batch > 0 {
		writers := 4
		if db.Dialect == database.SQLite {
			writers = 1
		}
		svc.EnableBatching(batch, writers)
		b.Cleanup(svc.Close)
	}
	mustCreateTenant(b, db, "org_7234567890", "https://a.example/hook")
	sample, _ := Sample("interview.scores")
	var n atomic.Int64
	one := func() {
		body := []byte(`{"event":"interview.scores","data":{"meetingCode":"bench-` + strconv.FormatInt(n.Add(1), 10) + `"` + string(sample[len(`{"event":"interview.scores","data":{"meetingCode":"Boooply-AI-1234567890"`):]))
		in, err := h.admit(request{ContentType: "application/json", Signature: sign(hookSecret, body), Body: body})
		if err != nil {
			b.Fatal(err)
		}
		if r, err := svc.Ingest(context.Background(), in); err != nil || r.Status != Accepted {
			b.Fatalf("%+v, %v", r, err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if !parallel {
		for b.Loop() {
			one()
		}
		return
	}
	b.SetParallelism(8) // 8 × GOMAXPROCS concurrent senders
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			one()
		}
	})
}

// BenchmarkHandleIngestHTTP runs a signed evaluation through the Fiber app
// in memory (no socket, no database write: its X-Boooply-Event disagrees,
// so it stops at the last check before storing): the handler's own cost on
// the ack path, headers and body reading included.
func BenchmarkHandleIngestHTTP(b *testing.B) {
	db := testdb.Open(b, testdb.Targets(b)[0].URL)
	h, _, _ := newTestHandler(b, db, BearerAccepted, hookSecret)
	handler := testApp(h).Handler()
	body, _ := Sample("interview.evaluation")
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.Header.SetMethod("POST")
		ctx.Request.SetRequestURI("/webhooks/boooply")
		ctx.Request.Header.SetContentType("application/json")
		ctx.Request.Header.Set("X-Boooply-Signature", sign(hookSecret, body))
		ctx.Request.Header.Set("X-Boooply-Event", "interview.scores")
		ctx.Request.Header.Set("Authorization", "Bearer "+hookSecret)
		ctx.Request.SetBody(body)
		handler(&ctx)
		if ctx.Response.StatusCode() != 400 {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}
