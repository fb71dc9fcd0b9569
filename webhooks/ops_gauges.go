package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"
)

// OpsRefresh is how often OpsGauges reads the database by default
// (SWITCHBOARD_METRICS_REFRESH): five queries per replica this often
// (three on partial indexes, one GROUP BY over River's delivery jobs and
// one over the endpoints), however often Prometheus scrapes.
const OpsRefresh = 15 * time.Second

// Reasons an event is held (the reason label of switchboard_held_events):
// each calls for a different fix.
const (
	// HeldNoTenant: no tenant owns the event's sourceId. Create the tenant,
	// then deliver what it held (tenants deliver-held).
	HeldNoTenant = "no_tenant"
	// HeldTenantExists: a tenant owns the sourceId now (created or imported
	// since), but its held events were not delivered: tenants deliver-held.
	HeldTenantExists = "tenant_exists"
	// HeldNoSourceID: the event carried no sourceId. Set
	// SWITCHBOARD_DEFAULT_TENANT, then deliver-held --null-source.
	HeldNoSourceID = "no_source_id"
)

var heldReasons = []string{HeldNoTenant, HeldTenantExists, HeldNoSourceID}

// endpointHealths are the health label values of switchboard_endpoints, in
// the order endpointHealthQuery tests them.
var endpointHealths = []string{"healthy", "failing", "circuit_open", "disabled"}

// queueStates are the states of a job still to run: the queue's depth.
// Finished jobs (completed, cancelled, discarded) stay in River's table
// for an hour or a week, millions of rows at a thousand events a second,
// and the deliveries table already records how each delivery ended.
var queueStates = []string{string(rivertype.JobStateAvailable), string(rivertype.JobStatePending),
	string(rivertype.JobStateRetryable), string(rivertype.JobStateRunning), string(rivertype.JobStateScheduled)}

// queueDepthQuery counts the delivery queue's jobs still to run, by state.
const queueDepthQuery = "SELECT state, COUNT(*) AS n FROM river_job WHERE state IN ? AND queue = ? GROUP BY state"

// endpointHealthQuery counts the endpoints by health (endpointHealths); ?
// is now. A circuit is open only until circuit_open_until: the column stays
// set after it until a delivery claims the probe (gate), which on an
// endpoint nothing is queued for may be never.
const endpointHealthQuery = `SELECT CASE WHEN NOT enabled THEN 'disabled'
	WHEN circuit_open_until > ? THEN 'circuit_open'
	WHEN consecutive_failures > 0 THEN 'failing' ELSE 'healthy' END AS state, COUNT(*) AS n
	FROM endpoints GROUP BY 1`

// heldQuery counts the unrouted events by reason, with the first id of
// each (ids grow with arrival). "tenant_id IS NULL" is the condition of the
// partial index events_unrouted_idx (source_id, id), so the query reads
// only that index (the held events), never the events table wholesale.
// %s is SQLite's INDEXED BY (see forSQLite).
const heldQuery = `SELECT CASE WHEN e.source_id IS NULL THEN 'no_source_id'
	WHEN t.id IS NULL THEN 'no_tenant' ELSE 'tenant_exists' END AS reason,
	COUNT(*) AS n, MIN(e.id) AS first_id
	FROM events e %s LEFT JOIN tenants t ON t.source_id = e.source_id
	WHERE e.tenant_id IS NULL GROUP BY 1`

// pendingOldestQuery reads the pending delivery whose round (creation, the
// last manual retry, or the resume of its paused tenant) started first.
// The WHERE and ORDER BY repeat deliveries_pending_since_idx (migration
// 00022) word for word, so it is the index's first entry. %s is SQLite's INDEXED BY (see forSQLite).
const pendingOldestQuery = `SELECT created_at, round_started_at FROM deliveries %s
	WHERE status = 'pending' ORDER BY COALESCE(round_started_at, created_at) LIMIT 1`

// opsQueries returns heldQuery and pendingOldestQuery for db's dialect.
// SQLite without statistics prefers the plain indexes on tenant_id and
// status (then sorts every pending delivery): INDEXED BY names the partial
// ones, and makes the query fail, not scan, if one stops matching.
func opsQueries(db *gorm.DB) (held, pending string) {
	if db.Dialector.Name() != "sqlite" {
		return fmt.Sprintf(heldQuery, ""), fmt.Sprintf(pendingOldestQuery, "")
	}
	return fmt.Sprintf(heldQuery, "INDEXED BY events_unrouted_idx"),
		fmt.Sprintf(pendingOldestQuery, "INDEXED BY deliveries_pending_since_idx")
}

// opsSnapshot is what the last successful refresh read.
type opsSnapshot struct {
	ready         bool      // the database answered and every migration was applied, at the last check
	refreshed     time.Time // zero: never
	held          map[string]int64
	heldOldest    map[string]time.Time // absent: none held for that reason
	pendingOldest time.Time            // zero: nothing pending
	queue         map[string]int64     // River job state → delivery jobs
	endpoints     map[string]int64     // health → endpoints
}

// OpsGauges reports what an operator pages on and only the database knows:
// events held for want of a tenant, how long the oldest pending delivery
// has waited, the delivery queue's depth by River job state and the
// endpoints by health. Run reads them in the background (every OpsRefresh
// by default); a scrape only copies the last values (ages are computed at
// the scrape), so it never waits for the database. Every replica reads
// the same global values: aggregate with max, not sum. Safe for concurrent
// use.
type OpsGauges struct {
	db                  *gorm.DB
	heldSQL, pendingSQL string
	ready               func(context.Context) error
	now                 func() time.Time

	mu   sync.Mutex
	snap opsSnapshot

	readyDesc, heldDesc, heldAgeDesc, pendingAgeDesc, refreshedDesc *prometheus.Desc
	queueDesc, endpointsDesc                                        *prometheus.Desc
}

// NewOpsGauges returns the gauges over db, all at zero until the first
// refresh. ready (nil: none) is asked before each refresh; while it fails
// (database unreachable, migrations pending) the last values stay.
func NewOpsGauges(db *gorm.DB, ready func(context.Context) error, now func() time.Time) *OpsGauges {
	g := &OpsGauges{db: db, ready: ready, now: now,
		readyDesc: prometheus.NewDesc("switchboard_ready",
			"1 when this replica's last check found the database answering and every migration applied (as /readyz), else 0.", nil, nil),
		heldDesc: prometheus.NewDesc("switchboard_held_events",
			"Events held because no tenant took them, by reason (no_tenant, tenant_exists, no_source_id).", []string{"reason"}, nil),
		heldAgeDesc: prometheus.NewDesc("switchboard_held_events_oldest_age_seconds",
			"Age of the oldest held event, by reason (0 when none).", []string{"reason"}, nil),
		pendingAgeDesc: prometheus.NewDesc("switchboard_delivery_pending_oldest_age_seconds",
			"Time since the round of the oldest pending delivery started (created, manually retried or released by a tenant's resume; 0 when none).", nil, nil),
		refreshedDesc: prometheus.NewDesc("switchboard_ops_gauges_refreshed_timestamp_seconds",
			"When the database-backed gauges (held events, oldest pending delivery, queue depth, endpoints) were last read (0: never).", nil, nil),
		queueDesc: prometheus.NewDesc("switchboard_delivery_queue_depth",
			"Delivery jobs by River state, as last read from the database.", []string{"state"}, nil),
		endpointsDesc: prometheus.NewDesc("switchboard_endpoints",
			"Endpoints by health (healthy, failing, circuit_open, disabled), as last read from the database.", []string{"health"}, nil),
	}
	g.heldSQL, g.pendingSQL = opsQueries(db)
	return g
}

// Describe implements prometheus.Collector.
func (g *OpsGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.readyDesc
	ch <- g.heldDesc
	ch <- g.heldAgeDesc
	ch <- g.pendingAgeDesc
	ch <- g.refreshedDesc
	ch <- g.queueDesc
	ch <- g.endpointsDesc
}

// Collect implements prometheus.Collector: the last values read, every
// series present (at zero before the first refresh).
func (g *OpsGauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	snap := g.snap
	g.mu.Unlock()
	now := g.now()
	var ready float64
	if snap.ready {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(g.readyDesc, prometheus.GaugeValue, ready)
	for _, reason := range heldReasons {
		ch <- prometheus.MustNewConstMetric(g.heldDesc, prometheus.GaugeValue, float64(snap.held[reason]), reason)
		ch <- prometheus.MustNewConstMetric(g.heldAgeDesc, prometheus.GaugeValue, ageSeconds(now, snap.heldOldest[reason]), reason)
	}
	ch <- prometheus.MustNewConstMetric(g.pendingAgeDesc, prometheus.GaugeValue, ageSeconds(now, snap.pendingOldest))
	var refreshed float64
	if !snap.refreshed.IsZero() {
		refreshed = float64(snap.refreshed.UnixMilli()) / 1000
	}
	ch <- prometheus.MustNewConstMetric(g.refreshedDesc, prometheus.GaugeValue, refreshed)
	// Every state of a job still to run and every health, at zero when none
	// is in it, so a dashboard or alert finds its series on an idle server too.
	for _, st := range queueStates {
		ch <- prometheus.MustNewConstMetric(g.queueDesc, prometheus.GaugeValue, float64(snap.queue[st]), st)
	}
	for _, health := range endpointHealths {
		ch <- prometheus.MustNewConstMetric(g.endpointsDesc, prometheus.GaugeValue, float64(snap.endpoints[health]), health)
	}
}

// ageSeconds is now - since in seconds, 0 for a zero since (nothing waits)
// and never negative (clocks of replicas differ a little).
func ageSeconds(now, since time.Time) float64 {
	if since.IsZero() || !now.After(since) {
		return 0
	}
	return now.Sub(since).Seconds()
}

// Run refreshes the gauges at once and then every interval until ctx
// ends. A failed refresh keeps the last values and is logged once, until
// one succeeds again.
func (g *OpsGauges) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		err := g.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			log.Warn("Could not read the held-event and pending-delivery gauges (and queue depth, endpoint health); /metrics keeps the last values.", "error", err)
			failing = true
		case err == nil && failing:
			log.Info("Read the database-backed gauges again.")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reads the gauges' values from the database now. When the
// database is not ready, or a query fails, the last values stay (ready
// turns 0 in the first case).
func (g *OpsGauges) Refresh(ctx context.Context) error {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if g.ready != nil {
		err := g.ready(qctx)
		g.mu.Lock()
		g.snap.ready = err == nil
		g.mu.Unlock()
		if err != nil {
			return err
		}
	}
	db := g.db.WithContext(qctx)
	held, heldOldest, err := readHeld(db, g.heldSQL)
	if err != nil {
		return err
	}
	pending, err := readPendingOldest(db, g.pendingSQL)
	if err != nil {
		return err
	}
	queue, err := readCounts(db, "delivery queue depth", queueDepthQuery, queueStates, QueueDeliveries)
	if err != nil {
		return err
	}
	endpoints, err := readCounts(db, "endpoints by health", endpointHealthQuery, g.now().UTC())
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.snap = opsSnapshot{ready: true, refreshed: g.now(), held: held, heldOldest: heldOldest, pendingOldest: pending,
		queue: queue, endpoints: endpoints}
	g.mu.Unlock()
	return nil
}

// readHeld counts held events by reason and reads when the first of each arrived.
func readHeld(db *gorm.DB, query string) (map[string]int64, map[string]time.Time, error) {
	var rows []struct {
		Reason  string
		N       int64
		FirstID int64
	}
	if err := db.Raw(query).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("count held events: %w", err)
	}
	held, oldest := map[string]int64{}, map[string]time.Time{}
	if len(rows) == 0 {
		return held, oldest, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.FirstID
	}
	// A second query by primary key: received_at is not in the partial
	// index, and MIN of a SQLite DATETIME would come back as text.
	var evs []struct {
		ID         int64
		ReceivedAt time.Time
	}
	if err := db.Table("events").Select("id, received_at").Where("id IN ?", ids).Find(&evs).Error; err != nil {
		return nil, nil, fmt.Errorf("arrival of the oldest held events: %w", err)
	}
	seen := make(map[int64]time.Time, len(evs))
	for _, e := range evs {
		seen[e.ID] = e.ReceivedAt
	}
	for _, r := range rows {
		held[r.Reason] = r.N
		if at, ok := seen[r.FirstID]; ok {
			oldest[r.Reason] = at
		}
	}
	return held, oldest, nil
}

// readPendingOldest returns when the oldest pending delivery's round
// started (zero when nothing is pending).
func readPendingOldest(db *gorm.DB, query string) (time.Time, error) {
	var rows []struct {
		CreatedAt      time.Time
		RoundStartedAt *time.Time
	}
	if err := db.Raw(query).Scan(&rows).Error; err != nil {
		return time.Time{}, fmt.Errorf("oldest pending delivery: %w", err)
	}
	switch {
	case len(rows) == 0:
		return time.Time{}, nil
	case rows[0].RoundStartedAt != nil:
		return *rows[0].RoundStartedAt, nil
	}
	return rows[0].CreatedAt, nil
}

// readCounts runs a "SELECT state, COUNT(*) AS n … GROUP BY" query.
func readCounts(db *gorm.DB, what, query string, args ...any) (map[string]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	if err := db.Raw(query, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	counts := make(map[string]int64, len(rows))
	for _, r := range rows {
		counts[r.State] = r.N
	}
	return counts, nil
}
