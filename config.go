package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// Config is every setting of serve. Each field comes from an environment
// variable and can be overridden by the flag of the same meaning.
type Config struct {
	DatabaseURL           string
	Listen                string
	WebhookSecrets        []string
	AllowPrivateEndpoints bool
	SecretKey             string
	MaxBodyBytes          int
	DeliveryTimeout       time.Duration
	RetrySchedule         []time.Duration
	DeliveryWorkers       int
	NoMigrate             bool
	LogLevel              slog.Level
	ShutdownTimeout       time.Duration
	ReadTimeout           time.Duration // a request's headers and body must arrive within it (slow senders are cut)
	DBMaxConns            int           // PostgreSQL connections per process (GORM and River share them)
	Delivery              DeliveryConfig
	// DefaultTenant (a sourceId or tenant id) owns events without a sourceId; "" = they stay unrouted.
	DefaultTenant string

	// Accounts (auth/).
	AdminEmail         string   // create this admin on first start (with AdminPassword)
	AdminPassword      string   // never logged
	PublicURL          string   // how browsers reach Switchboard; https makes session cookies Secure
	PreviousSecretKeys []string // old SWITCHBOARD_SECRET_KEY values still accepted after a rotation
	TrustedProxies     []string // addresses/CIDRs of reverse proxies whose ProxyHeader names the client
	ProxyHeader        string   // header carrying the client address from a trusted proxy

	// Ingest (issue 3).
	InboundBearer  webhooks.BearerMode
	IngestBatch    int
	IngestWriters  int
	SourcesReload  time.Duration
	BoooplyAPIBase string

	// PprofListen, when set, serves /debug/pprof/ on this separate address.
	PprofListen string

	// MetricsRefresh is how often the held-event and pending-delivery
	// gauges are read from the database (SWITCHBOARD_METRICS_REFRESH).
	MetricsRefresh time.Duration

	// PushBack bounds ingest under overload (config_perf.go).
	PushBack PushBackConfig
	// QueueFetchCooldown is the least time between two fetches of delivery
	// jobs on PostgreSQL (SWITCHBOARD_QUEUE_FETCH_COOLDOWN, serve_queue.go).
	QueueFetchCooldown time.Duration
}

// DeliveryConfig is the delivery engine's settings (issue 5).
type DeliveryConfig struct {
	DisableAfter       time.Duration // SWITCHBOARD_ENDPOINT_DISABLE_AFTER
	OperatorWebhookURL string        // SWITCHBOARD_OPERATOR_WEBHOOK_URL
	RetentionDays      int           // SWITCHBOARD_RETENTION_DAYS
	BreakerThreshold   int           // SWITCHBOARD_BREAKER_THRESHOLD
	BreakerCooldown    time.Duration // SWITCHBOARD_BREAKER_COOLDOWN
	MaxConcurrency     int           // SWITCHBOARD_ENDPOINT_MAX_CONCURRENCY
	RescueStuckAfter   time.Duration // SWITCHBOARD_RESCUE_STUCK_AFTER
	ProbeInterval      time.Duration // SWITCHBOARD_PROBE_INTERVAL (0: no health probes)
}

// Defaults, named so the README table and the code agree.
const (
	defaultListen          = "127.0.0.1:8080"
	defaultMaxBodyBytes    = 10 << 20 // a two-hour transcript is well under 2 MiB
	defaultDeliveryWorkers = 100
	defaultShutdownTimeout = 30 * time.Second
	// defaultReadTimeout cuts slow senders: Boooply posts at most a few MB at once.
	defaultReadTimeout = 10 * time.Second
	// defaultDBMaxConns keeps three replicas under PostgreSQL's default max_connections (100).
	defaultDBMaxConns = 25
)

// dbFlags are the flags every database-touching subcommand shares.
type dbFlags struct {
	url          *string
	allowPrivate *bool
}

func addDBFlags(fs *flag.FlagSet) dbFlags {
	return dbFlags{
		url:          fs.String("database-url", env("SWITCHBOARD_DATABASE_URL", database.DefaultURL), "sqlite:PATH or postgres://… (SWITCHBOARD_DATABASE_URL)"),
		allowPrivate: fs.Bool("allow-private-endpoints", envBool("SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS"), "let endpoints resolve to loopback/private addresses (SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS)"),
	}
}

// parseServeConfig fills a Config from the environment, then args.
func parseServeConfig(args []string) (Config, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	db := addDBFlags(fs)
	listen := fs.String("listen", env("SWITCHBOARD_LISTEN", defaultListen), "address to listen on (SWITCHBOARD_LISTEN)")
	secretsList := fs.String("webhook-secret", os.Getenv("BOOOPLY_WEBHOOK_SECRET"), "inbound secret(s), comma-separated (BOOOPLY_WEBHOOK_SECRET)")
	key := fs.String("secret-key", os.Getenv("SWITCHBOARD_SECRET_KEY"), "key for secrets at rest and sessions (SWITCHBOARD_SECRET_KEY)")
	maxBody := fs.Int("max-body-bytes", envInt("SWITCHBOARD_MAX_BODY_BYTES", defaultMaxBodyBytes), "largest accepted webhook body (SWITCHBOARD_MAX_BODY_BYTES)")
	timeout := fs.Duration("delivery-timeout", envDuration("SWITCHBOARD_DELIVERY_TIMEOUT", webhooks.DefaultDeliveryTimeout), "time limit of one delivery attempt (SWITCHBOARD_DELIVERY_TIMEOUT)")
	schedule := fs.String("retry-schedule", os.Getenv("SWITCHBOARD_RETRY_SCHEDULE"), "comma-separated waits between attempts, e.g. 5s,30s,2m (SWITCHBOARD_RETRY_SCHEDULE)")
	workers := fs.Int("delivery-workers", envInt("SWITCHBOARD_DELIVERY_WORKERS", defaultDeliveryWorkers), "concurrent delivery attempts per process; 0: this replica only ingests (SWITCHBOARD_DELIVERY_WORKERS)")
	noMigrate := fs.Bool("no-migrate", envBool("SWITCHBOARD_NO_MIGRATE"), "do not apply migrations on start (SWITCHBOARD_NO_MIGRATE)")
	level := fs.String("log-level", env("SWITCHBOARD_LOG_LEVEL", "info"), "debug, info, warn or error (SWITCHBOARD_LOG_LEVEL)")
	readTimeout := fs.Duration("read-timeout", envDuration("SWITCHBOARD_READ_TIMEOUT", defaultReadTimeout), "time a request's headers and body may take to arrive (SWITCHBOARD_READ_TIMEOUT)")
	dbMaxConns := fs.Int("database-max-conns", envInt("SWITCHBOARD_DATABASE_MAX_CONNS", defaultDBMaxConns), "PostgreSQL connections per process, shared by GORM and River (SWITCHBOARD_DATABASE_MAX_CONNS)")
	shutdown := fs.Duration("shutdown-timeout", envDuration("SWITCHBOARD_SHUTDOWN_TIMEOUT", defaultShutdownTimeout), "how long shutdown waits for in-flight work (SWITCHBOARD_SHUTDOWN_TIMEOUT)")
	delivery := addDeliveryFlags(fs)
	defaultTenant := fs.String("default-tenant", os.Getenv("SWITCHBOARD_DEFAULT_TENANT"), "sourceId or id of the tenant that owns events without a sourceId (SWITCHBOARD_DEFAULT_TENANT)")
	adminEmail := fs.String("admin-email", os.Getenv("SWITCHBOARD_ADMIN_EMAIL"), "create this admin on first start (SWITCHBOARD_ADMIN_EMAIL)")
	publicURL := fs.String("public-url", os.Getenv("SWITCHBOARD_PUBLIC_URL"), "URL browsers use to reach Switchboard, e.g. https://hooks.example.com (SWITCHBOARD_PUBLIC_URL)")
	prevKeys := fs.String("previous-secret-keys", os.Getenv("SWITCHBOARD_PREVIOUS_SECRET_KEYS"), "comma-separated old secret keys still accepted after a rotation (SWITCHBOARD_PREVIOUS_SECRET_KEYS)")
	proxies := fs.String("trusted-proxies", os.Getenv("SWITCHBOARD_TRUSTED_PROXIES"), "comma-separated addresses/CIDRs of reverse proxies to trust for the client address (SWITCHBOARD_TRUSTED_PROXIES)")
	proxyHeader := fs.String("proxy-header", env("SWITCHBOARD_PROXY_HEADER", "X-Forwarded-For"), "header a trusted proxy puts the client address in (SWITCHBOARD_PROXY_HEADER)")
	ingest := addIngestFlags(fs)
	pushBack := addPushBackFlags(fs)
	fetchCooldown := fs.Duration("queue-fetch-cooldown", envDuration("SWITCHBOARD_QUEUE_FETCH_COOLDOWN", defaultQueueFetchCooldown), "PostgreSQL: least time between two fetches of delivery jobs, 1ms to 50ms; shorter delivers sooner for more database CPU (SWITCHBOARD_QUEUE_FETCH_COOLDOWN)")
	metricsRefresh := fs.Duration("metrics-refresh", envDuration("SWITCHBOARD_METRICS_REFRESH", webhooks.OpsRefresh), "how often each replica reads the held-event and pending-delivery gauges from the database (SWITCHBOARD_METRICS_REFRESH)")
	pprofListen := fs.String("pprof-listen", os.Getenv("SWITCHBOARD_PPROF_LISTEN"), "serve Go's pprof on this separate address, e.g. 127.0.0.1:6060 (SWITCHBOARD_PPROF_LISTEN; default off)")
	if err := checkEnv(fs); err != nil {
		return Config{}, err
	}
	if err := parseFlags(fs, args); err != nil {
		return Config{}, err
	}
	cfg := Config{Delivery: delivery.config(),
		DatabaseURL: *db.url, Listen: *listen, AllowPrivateEndpoints: *db.allowPrivate, SecretKey: *key,
		WebhookSecrets: splitList(*secretsList), MaxBodyBytes: *maxBody, DeliveryTimeout: *timeout,
		DeliveryWorkers: *workers, NoMigrate: *noMigrate, ShutdownTimeout: *shutdown,
		ReadTimeout: *readTimeout, DBMaxConns: *dbMaxConns,
	}
	cfg.DefaultTenant = strings.TrimSpace(*defaultTenant)
	cfg.AdminEmail, cfg.AdminPassword = *adminEmail, os.Getenv("SWITCHBOARD_ADMIN_PASSWORD")
	cfg.PublicURL, cfg.PreviousSecretKeys = strings.TrimRight(*publicURL, "/"), splitList(*prevKeys)
	cfg.TrustedProxies, cfg.ProxyHeader = splitList(*proxies), *proxyHeader
	cfg.PprofListen, cfg.MetricsRefresh, cfg.QueueFetchCooldown = *pprofListen, *metricsRefresh, *fetchCooldown
	var err error
	if cfg.RetrySchedule, err = parseSchedule(*schedule); err != nil {
		return Config{}, err
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return Config{}, fmt.Errorf("log level %q: want debug, info, warn or error", *level)
	}
	if err := ingest.apply(&cfg); err != nil {
		return Config{}, err
	}
	if err := pushBack.apply(&cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

func (c Config) validate() error {
	switch {
	case c.MaxBodyBytes < 1024:
		return errors.New("max body bytes must be at least 1024")
	case c.DeliveryTimeout < 100*time.Millisecond:
		return errors.New("delivery timeout must be at least 100ms")
	case c.DeliveryWorkers < 0:
		return errors.New("delivery workers must be 0 (ingest only) or more")
	case c.DeliveryWorkers == 0 && !strings.HasPrefix(c.DatabaseURL, "postgres"):
		return errors.New("delivery workers 0 (ingest only) needs PostgreSQL and another replica that delivers: the embedded SQLite store is one node")
	case c.ShutdownTimeout < 0:
		return errors.New("shutdown timeout must not be negative")
	case c.SourcesReload < time.Second:
		return errors.New("sources reload must be at least 1s")
	case c.ReadTimeout < time.Second:
		return errors.New("read timeout must be at least 1s")
	case c.MetricsRefresh < time.Second:
		return errors.New("metrics refresh must be at least 1s")
	case c.QueueFetchCooldown < time.Millisecond || c.QueueFetchCooldown > queuePollPostgres:
		return fmt.Errorf("queue fetch cooldown %v: want 1ms to %v (River's poll interval, which it may not exceed)", c.QueueFetchCooldown, queuePollPostgres)
	case c.DBMaxConns < 4:
		return errors.New("database max conns must be at least 4")
	case (c.AdminEmail == "") != (c.AdminPassword == ""):
		return errors.New("set both SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD, or neither")
	case c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://"):
		return errors.New("public URL must start with http:// or https://")
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("trusted proxy %q: want an IP address or a CIDR such as 10.0.0.0/8", p)
			}
		}
	}
	if err := c.Delivery.validate(); err != nil {
		return err
	}
	return nil
}

// envNamed finds the variable a flag's usage names: "… (SWITCHBOARD_X)" or "(SWITCHBOARD_X; …)".
var envNamed = regexp.MustCompile(`\(((?:SWITCHBOARD|BOOOPLY)_[A-Z0-9_]+)[;)]`)

// checkEnv parses every set variable a flag of fs names with that flag's own
// parser, so a value the flag would refuse (SWITCHBOARD_DELIVERY_TIMEOUT=15
// without a unit, SWITCHBOARD_NO_MIGRATE=yes) stops the start with the
// variable's name instead of silently leaving the default in place. Call it
// before fs.Parse: flags given on the command line still win.
func checkEnv(fs *flag.FlagSet) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		m := envNamed.FindStringSubmatch(f.Usage)
		if m == nil {
			return
		}
		v := os.Getenv(m[1])
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %s", m[1], v, wantOf(f.Value)))
		}
	})
	return errors.Join(errs...)
}

// wantOf says what a flag's value must look like.
func wantOf(v flag.Value) string {
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return "want true or false"
		case time.Duration:
			return "want a duration with its unit, such as 30s, 5m or 2h"
		case int:
			return "want a whole number"
		}
	}
	return "not a valid value"
}

// loadSecretKey returns the operator key. On the embedded default a missing
// key is generated into the data folder (with a warning); with PostgreSQL,
// where replicas must share one key, starting without it is refused.
func loadSecretKey(cfg Config, db *database.DB, log *slog.Logger) (secrets.Key, error) {
	if cfg.SecretKey != "" {
		k, err := secrets.ParseKey(cfg.SecretKey)
		if err != nil {
			return secrets.Key{}, fmt.Errorf("SWITCHBOARD_SECRET_KEY: %w", err)
		}
		return k, nil
	}
	if db.Dialect != database.SQLite {
		return secrets.Key{}, errors.New("SWITCHBOARD_SECRET_KEY is required with PostgreSQL (generate one with: openssl rand -base64 32)")
	}
	path := filepath.Join(filepath.Dir(db.Where), "secret.key")
	k, created, err := secrets.LoadOrCreateKeyFile(path)
	if err != nil {
		return secrets.Key{}, fmt.Errorf("secret key file: %w", err)
	}
	if created {
		log.Warn("SWITCHBOARD_SECRET_KEY is not set; generated a key into the data folder. Back it up with the database, or set the variable.", "path", path)
	}
	return k, nil
}

func parseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range splitList(s) {
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("retry schedule: %q is not a positive duration", part)
		}
		out = append(out, d)
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// newLogger logs JSON when out is not a terminal (containers, files), text otherwise.
func newLogger(out *os.File, w interface{ Write([]byte) (int, error) }, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if out != nil {
		if fi, err := out.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// ingestFlags are serve's ingest settings (issue 3).
type ingestFlags struct {
	bearer, apiBase *string
	batch, writers  *int
	reload          *time.Duration
}

func addIngestFlags(fs *flag.FlagSet) ingestFlags {
	return ingestFlags{
		bearer:  fs.String("inbound-bearer", env("SWITCHBOARD_INBOUND_BEARER", string(webhooks.BearerAccepted)), "Authorization: Bearer on webhooks: required, accepted (checked if present) or ignored (SWITCHBOARD_INBOUND_BEARER)"),
		batch:   fs.Int("ingest-batch", envInt("SWITCHBOARD_INGEST_BATCH", webhooks.DefaultBatchMax), "most events one group commit stores; 1 turns batching off (SWITCHBOARD_INGEST_BATCH)"),
		writers: fs.Int("ingest-writers", envInt("SWITCHBOARD_INGEST_WRITERS", defaultIngestWriters), "concurrent group-commit transactions on PostgreSQL; SQLite uses 1 (SWITCHBOARD_INGEST_WRITERS)"),
		reload:  fs.Duration("sources-reload", envDuration("SWITCHBOARD_SOURCES_RELOAD", webhooks.DefaultKeysReload), "how often inbound sources and secrets are re-read (SWITCHBOARD_SOURCES_RELOAD)"),
		apiBase: fs.String("boooply-api-base", env("SWITCHBOARD_BOOOPLY_API_BASE", webhooks.DefaultBoooplyAPIBase), "Boooply API base URL for fresh recording links (SWITCHBOARD_BOOOPLY_API_BASE)"),
	}
}

// defaultIngestWriters is how many group commits may run at once on
// PostgreSQL. Two: the second starts only while the first is in flight and
// a quarter of a batch waits, so under moderate load commits stay one at a
// time and as large as the load makes them (fewer, larger commits cost less
// CPU per event), and under overload they overlap: fewer events pushed back
// at 1,500/s on a 2-core machine than with one writer or two plain ones
// (README, Performance).
const defaultIngestWriters = 2

func (f ingestFlags) apply(cfg *Config) error {
	mode, err := webhooks.ParseBearerMode(*f.bearer)
	if err != nil {
		return err
	}
	cfg.InboundBearer, cfg.IngestBatch, cfg.IngestWriters, cfg.SourcesReload = mode, *f.batch, *f.writers, *f.reload
	cfg.BoooplyAPIBase = *f.apiBase
	if cfg.IngestBatch < 1 || cfg.IngestWriters < 1 {
		return errors.New("ingest batch and ingest writers must be at least 1")
	}
	return nil
}
