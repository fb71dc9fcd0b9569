package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/webhooks"
)

func cmdServe(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseServeConfig(args)
	if err != nil {
		return err
	}
	var term *os.File
	if f, ok := out.(*os.File); ok {
		term = f
	}
	log := newLogger(term, out, cfg.LogLevel)
	return serve(ctx, cfg, log)
}

// serve runs the gateway until ctx is cancelled, then shuts down in order:
// stop accepting requests, let in-flight deliveries finish, stop River.
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	if tuneGC() {
		log.Debug("Set the garbage collector's target (GOGC unset).", "gogc", defaultGCPercent)
	}
	if governsMemory() {
		defer governor.start(time.Second)()
		log.Debug("Keeping the soft memory limit at the budget or twice the live heap (GOGC and GOMEMLIMIT unset).", "budget_mib", memoryBudget>>20)
	}
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	db.LimitConns(cfg.DBMaxConns)
	log.Info("Opened the database.", "dialect", db.Dialect, "where", db.Where, "case_fold", db.CaseFold)
	if db.CaseFold == database.FoldASCII {
		log.Warn("The database's locale folds only ASCII letters and the server has no ICU: searches by name, candidate or email will tell \"Ä\" from \"ä\". Create the database with a UTF-8 LC_CTYPE (e.g. C.UTF-8) or use a PostgreSQL built with ICU.")
	}
	key, err := loadSecretKey(cfg, db, log)
	if err != nil {
		return err
	}
	if !cfg.NoMigrate {
		if err := db.Migrate(ctx, logWriter{log}); err != nil {
			return err
		}
	}
	warmPool(ctx, db, cfg.DBMaxConns, log)
	previous, err := parsePreviousKeys(cfg.PreviousSecretKeys)
	if err != nil {
		return err
	}
	// Older keys still open secrets sealed before a rotation.
	ring := secrets.NewKeyring(key, previous...)
	gate, err := newGate(ctx, db, ring, previous, cfg, log)
	if err != nil {
		return err
	}
	guard := &egress.Guard{AllowPrivate: cfg.AllowPrivateEndpoints}
	if cfg.AllowPrivateEndpoints {
		log.Warn("Endpoints may point at loopback and private addresses (SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS). Use this only for tests and demos.")
	}

	policy := webhooks.NewRetryPolicy(cfg.RetrySchedule, 0.2)
	registry, opsGauges := newMetricsRegistry(db)
	links, err := webhooks.NewRecordingLinks(db.Gorm, ring, cfg.PublicURL, cfg.BoooplyAPIBase, nil)
	if err != nil {
		return fmt.Errorf("recording links: %w", err)
	}
	worker := webhooks.NewWorker(webhooks.WorkerConfig{DB: db.Gorm, Mapper: routing.NewMapper(db.Gorm), Guard: guard, Keyring: ring, Links: links,
		Policy: policy, Timeout: cfg.DeliveryTimeout, UserAgent: "Switchboard/" + version, Log: log,
		Metrics: webhooks.NewMetrics(registry), Breaker: cfg.Delivery.breakerConfig(), MaxConcurrency: cfg.Delivery.MaxConcurrency})
	queue, err := newQueue(db, cfg, policy, worker, log)
	if err != nil {
		return err
	}
	cache, stopCache := startTenantCache(ctx, db, log)
	defer stopCache()
	stopStatistics := startStatistics(db, log)
	defer stopStatistics()
	stopOpsGauges := startOpsGauges(opsGauges, cfg.MetricsRefresh, log)
	defer stopOpsGauges()
	svc := webhooks.NewService(db.Gorm, routing.NewCachedPlanner(cache, cfg.DefaultTenant), queue, policy, log)
	defer svc.Close()

	app := newApp(cfg, log)
	parts := serverParts{db: db, ring: ring, guard: guard, cache: cache, gate: gate, links: links, svc: svc, registry: registry}
	if err := mountRoutes(ctx, app, parts, cfg, log); err != nil {
		return err
	}

	stopPprof, err := startPprof(cfg.PprofListen, log)
	if err != nil {
		return fmt.Errorf("pprof listener: %w", err)
	}
	defer stopPprof()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	log.Info("Switchboard is listening.", "addr", ln.Addr().String(), "version", version,
		"ingest", "http://"+ln.Addr().String()+"/webhooks/boooply")
	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()

	started, err := startQueue(ctx, queue, db, cfg, log, serveErr)
	if err != nil {
		_ = app.ShutdownWithTimeout(cfg.ShutdownTimeout)
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if started {
			stopQueue(queue, cfg.ShutdownTimeout, log)
		}
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("Shutting down: no new requests; finishing in-flight work.")
	// One budget for both: requests and deliveries are in flight at the same
	// time, so the deliveries get what the HTTP shutdown left of it.
	deadline := time.Now().Add(cfg.ShutdownTimeout)
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		log.Warn("HTTP shutdown did not finish cleanly.", "error", err)
	}
	if started {
		stopQueue(queue, time.Until(deadline), log)
	}
	log.Info("Stopped.")
	return nil
}

// startQueue starts the delivery workers unless this replica only ingests,
// and reports whether it did. With --no-migrate it first waits, while the
// HTTP server answers (/readyz 503), until every migration is applied, so a
// replica may start before `switchboard migrate` has run. It returns false
// and no error when ctx ends first.
func startQueue(ctx context.Context, queue *river.Client[*sql.Tx], db *database.DB, cfg Config, log *slog.Logger, serveErr <-chan error) (bool, error) {
	if cfg.DeliveryWorkers == 0 {
		log.Warn("This replica only ingests (SWITCHBOARD_DELIVERY_WORKERS=0): run at least one replica that delivers on the same database.")
		return false, nil
	}
	if cfg.NoMigrate {
		if ok := waitMigrated(ctx, db, log, serveErr); !ok {
			return false, nil
		}
	}
	// Not ctx: cancelling River's start context cancels running jobs at once;
	// shutdown stops River itself (stopQueue) so in-flight attempts finish.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return false, fmt.Errorf("start delivery queue: %w", err)
	}
	return true, nil
}

// migrationPoll is how often a --no-migrate replica checks whether the
// migrations it waits for have been applied.
const migrationPoll = time.Second

// waitMigrated returns true once the database is reachable and fully
// migrated, false when ctx ends or the HTTP server stopped first (its error
// stays in serveErr for the caller).
func waitMigrated(ctx context.Context, db *database.DB, log *slog.Logger, serveErr <-chan error) bool {
	for logged := false; ; logged = true {
		err := db.Ready(ctx)
		if err == nil {
			if logged {
				log.Info("Migrations are applied; starting deliveries.")
			}
			return true
		}
		if !logged {
			log.Warn("Waiting for migrations (--no-migrate): run `switchboard migrate`; /readyz answers 503 until then.", "error", err)
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(migrationPoll):
		}
		if len(serveErr) > 0 {
			return false
		}
	}
}

// newQueue builds the River client that runs deliveries on the shared database.
func newQueue(db *database.DB, cfg Config, policy webhooks.RetryPolicy, worker *webhooks.Worker, log *slog.Logger) (*river.Client[*sql.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	periodic := addRetention(workers, db, cfg, log)
	periodic = append(periodic, addProbes(workers, db, cfg, policy, worker, log)...)
	queues := map[string]river.QueueConfig{webhooks.QueueDeliveries: {MaxWorkers: cfg.DeliveryWorkers}}
	if cfg.DeliveryWorkers == 0 {
		// An ingest-only replica: River inserts (and notifies) but never
		// fetches; the replicas that deliver also run the periodic jobs.
		queues, periodic = nil, nil
	}
	rc := &river.Config{
		Queues:      queues,
		Workers:     workers,
		RetryPolicy: policy,
		MaxAttempts: policy.MaxAttempts(),
		Logger:      slog.New(levelFloor{log.Handler(), slog.LevelWarn}),
		// A job whose process died is handed to another worker after this.
		RescueStuckJobsAfter:        rescueStuckAfter(cfg),
		JobTimeout:                  -1, // each worker bounds itself (the delivery worker's Timeout)
		CompletedJobRetentionPeriod: time.Hour,
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
		PeriodicJobs:                periodic,
		// Logs what River's own lines (below Warn) would hide, and fails a
		// delivery whose job River discards instead of leaving it pending.
		ErrorHandler: webhooks.NewJobFailures(db.Gorm, log),
	}
	tuneQueue(rc, db.Dialect, cfg.QueueFetchCooldown)
	client, err := river.NewClient(db.RiverDriver(), rc)
	if err != nil {
		return nil, fmt.Errorf("delivery queue: %w", err)
	}
	return client, nil
}

// stopQueue lets running deliveries finish, then cancels what is left; a
// cancelled attempt's job is retried later, so nothing is lost.
func stopQueue(queue *river.Client[*sql.Tx], timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := queue.Stop(ctx); err != nil {
		log.Warn("Deliveries still running at shutdown were cancelled; they will be retried.", "error", err)
		hard, cancelHard := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancelHard()
		_ = queue.StopAndCancel(hard)
	}
}

// newApp builds the Fiber app with the error handler that maps problem
// codes to statuses in one place.
func newApp(cfg Config, log *slog.Logger) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "switchboard",
		BodyLimit:             cfg.MaxBodyBytes,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(log, cfg.MaxBodyBytes),
		// The client address (audit trail, sign-in throttling) comes from
		// ProxyHeader only on requests from a trusted proxy.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             cfg.ProxyHeader,
		EnableIPValidation:      true,
	})
	app.Use(refuseContentEncoding)
	return app
}

// refuseContentEncoding answers 415 to a request sent with a
// Content-Encoding: Fiber's c.Body() inflates gzip, deflate and br without
// a bound, and the API's text guard reads the body before sign-in, so an
// anonymous request of a few kB could take gigabytes of memory.
func refuseContentEncoding(c *fiber.Ctx) error {
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
		if webhooks.IsIngestPath(c.Path()) {
			webhooks.CountRefusedEarly(problem.CodeUnsupportedType)
		}
		return &problem.Error{Code: problem.CodeUnsupportedType,
			Message: fmt.Sprintf("content encoding %q is not supported; send the body uncompressed", enc)}
	}
	return c.Next()
}

func errorHandler(log *slog.Logger, maxBody int) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p, ok := problem.As(err)
		if !ok {
			p, ok = pgTextError(err)
			if ok {
				log.Warn("PostgreSQL refused a request's text; answered 400.", "method", c.Method(), "path", c.Path(), "error", err)
			}
		}
		if !ok {
			var fe *fiber.Error
			switch {
			case errors.As(err, &fe) && fe.Code == fiber.StatusRequestEntityTooLarge:
				p = problem.TooLarge(maxBody)
				if webhooks.IsIngestPath(c.Path()) {
					webhooks.CountRefusedEarly(problem.CodeTooLarge)
				}
			case errors.As(err, &fe) && fe.Code == fiber.StatusNotFound:
				p = problem.NotFound("route " + c.Method() + " " + c.Path())
			case errors.As(err, &fe) && fe.Code == fiber.StatusMethodNotAllowed:
				p = &problem.Error{Code: "method_not_allowed", Message: "method not allowed"}
				return c.Status(fe.Code).JSON(p)
			case errors.As(err, &fe) && fe.Code < 500:
				return c.Status(fe.Code).JSON(&problem.Error{Code: problem.CodeBadRequest, Message: fe.Message})
			default:
				log.Error("Request failed.", "method", c.Method(), "path", c.Path(), "error", err)
				return c.Status(fiber.StatusInternalServerError).JSON(&problem.Error{Code: "internal", Message: "internal error"})
			}
		}
		if p.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(p.RetryAfter))
		}
		return c.Status(problem.Status(p.Code)).JSON(p)
	}
}

// logWriter turns migration progress lines into log records.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// levelFloor passes only records at or above min: River is chatty at info.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(a), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}

// hotTables are the tables that grow with every event: their planner
// statistics are refreshed whenever one doubles in size (database/statistics.go).
var hotTables = []string{"events", "deliveries", "attempts", "river_job"}

// statisticsInterval is how often the hot tables' sizes are checked: one
// catalog query, cheap enough to run on every replica.
const statisticsInterval = 5 * time.Second

// startStatistics keeps the hot tables' planner statistics fresh until stop
// is called (PostgreSQL only).
func startStatistics(db *database.DB, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); db.KeepStatistics(ctx, statisticsInterval, log, hotTables...) }()
	return func() { cancel(); <-done }
}

// poolWarmTimeout bounds the start-up wait for the pool's connections.
const poolWarmTimeout = 10 * time.Second

// warmPool opens the PostgreSQL pool's connections before the first request
// (a new backend costs 3–35 ms, which the first acks would pay). A failure
// only costs that latency later, so it is logged, not fatal.
func warmPool(ctx context.Context, db *database.DB, n int, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, poolWarmTimeout)
	defer cancel()
	start := time.Now()
	opened, err := db.Warm(ctx, n)
	if err != nil {
		log.Warn("Could not open every database connection ahead of traffic; the rest open on first use.", "opened", opened, "err", err)
		return
	}
	if opened > 0 {
		log.Info("Opened the database connections ahead of traffic.", "connections", opened, "took", time.Since(start).Round(time.Millisecond).String())
	}
}
