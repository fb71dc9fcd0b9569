package webhooks

import (
	"context"
	"crypto/x509"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/tenants"
)

// engine is a started delivery engine over a test database.
type engine struct {
	svc     *Service
	worker  *Worker
	keyring *secrets.Keyring
	db      *database.DB
	client  *river.Client[*sql.Tx]
}

// engineOpts tune a test engine; zero values are fast test defaults.
type engineOpts struct {
	workers  int
	breaker  BreakerConfig
	guard    *egress.Guard
	schedule []time.Duration
	metrics  *Metrics
	roots    *x509.CertPool
	stopped  bool                                       // don't start River: jobs queue up until start
	register func(*river.Workers, RetryPolicy, *Worker) // more workers beside the delivery worker (given too)
	logs     io.Writer                                  // where the engine logs, every level (default: discarded)
}

// startEngine runs River with the delivery worker on db, with a 20 ms retry
// schedule, until t ends.
func startEngine(t testing.TB, db *database.DB, o engineOpts) *engine {
	t.Helper()
	if o.workers == 0 {
		o.workers = 20
	}
	if o.guard == nil {
		o.guard = &egress.Guard{AllowPrivate: true}
	}
	if o.schedule == nil {
		o.schedule = []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}
	}
	policy := NewRetryPolicy(o.schedule, 0)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.logs != nil {
		log = slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	kr := testKeyring(t)
	w := NewWorker(WorkerConfig{DB: db.Gorm, Mapper: routing.NewMapper(db.Gorm), Guard: o.guard, Keyring: kr, Policy: policy,
		Timeout: 2 * time.Second, UserAgent: "Switchboard/test", Log: log, Breaker: o.breaker, Metrics: o.metrics, RootCAs: o.roots, BusyWait: 20 * time.Millisecond})
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	if o.register != nil {
		o.register(workers, policy, w)
	}
	cfg := &river.Config{Workers: workers, RetryPolicy: policy, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond,
		Queues: map[string]river.QueueConfig{QueueDeliveries: {MaxWorkers: o.workers}}, Logger: log, ErrorHandler: NewJobFailures(db.Gorm, log)}
	client, err := river.NewClient(db.RiverDriver(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !o.stopped {
		if err := client.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.StopAndCancel(ctx)
	})
	return &engine{svc: NewService(db.Gorm, routing.NewPlanner(), client, policy, log), worker: w, keyring: kr, db: db, client: client}
}

// start starts the River client of an engine made with engineOpts.stopped.
func (e *engine) start(t testing.TB) {
	t.Helper()
	if err := e.client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// stop stops River (a replica going away); start runs it again.
func (e *engine) stop(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.client.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// ingest stores a minimal event for sourceID and returns its id.
func (e *engine) ingest(t testing.TB, sourceID, meetingCode string) int64 {
	t.Helper()
	body := `{"event":"interview.evaluation","data":{"meetingCode":"` + meetingCode + `","sourceId":"` + sourceID + `","summary":"s"}}`
	res, err := e.svc.Ingest(context.Background(), mustParse(t, body))
	if err != nil || res.Status != Accepted {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	return res.EventID
}

// createTenant makes a tenant with one endpoint configured by edit.
func createTenant(t testing.TB, db *database.DB, sourceID, url string, edit func(*tenants.Endpoint)) (*tenants.Tenant, *tenants.Endpoint) {
	t.Helper()
	tn := &tenants.Tenant{Name: "T " + sourceID, SourceID: sourceID, Status: tenants.StatusActive}
	ep := &tenants.Endpoint{URL: url, Enabled: true}
	if err := tenants.NewStore(db.Gorm).CreateTenant(context.Background(), tn, []*tenants.Endpoint{ep}); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ep)
		if err := db.Gorm.Save(ep).Error; err != nil {
			t.Fatal(err)
		}
	}
	return tn, ep
}

// hook is a loopback receiver whose answer is chosen per request.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*recorded
	answer   func(n int, w http.ResponseWriter, r *http.Request) // n is 1-based
}

type recorded struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newHook(t testing.TB, answer func(n int, w http.ResponseWriter, r *http.Request)) *hook {
	h := &hook{answer: answer}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.requests = append(h.requests, &recorded{header: r.Header.Clone(), body: body, at: time.Now()})
		n := len(h.requests)
		h.mu.Unlock()
		if h.answer != nil {
			h.answer(n, w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Server.Close)
	return h
}

func (h *hook) got() []*recorded {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*recorded(nil), h.requests...)
}

// waitUntil polls cond until it holds or 20 s pass (a bound, not a measurement).
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func deliveryOf(t testing.TB, db *database.DB, eventID int64) Delivery {
	t.Helper()
	var d Delivery
	if err := db.Gorm.Where("event_id = ?", eventID).First(&d).Error; err != nil {
		t.Fatal(err)
	}
	return d
}

func attemptsOf(t testing.TB, db *database.DB, deliveryID int64) []Attempt {
	t.Helper()
	var out []Attempt
	if err := db.Gorm.Where("delivery_id = ?", deliveryID).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}
