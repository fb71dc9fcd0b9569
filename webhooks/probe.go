package webhooks

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/egress"
)

// DefaultProbeInterval is how often disabled endpoints' health probes run.
const DefaultProbeInterval = 5 * time.Minute

// probeTimeout bounds one probe request.
const probeTimeout = 10 * time.Second

// ProbeArgs is the periodic River job that probes disabled endpoints.
type ProbeArgs struct{}

// Kind implements river.JobArgs.
func (ProbeArgs) Kind() string { return "probe_endpoints" }

// ProbeWorker re-enables endpoints the engine disabled automatically (410,
// days of failures) once their optional health probe answers: a GET of the
// endpoint's probe_url (SSRF-guarded, no redirects) with a 2xx answer
// enables it and redelivers what failed while it was down, like
// "deliveries enable-endpoint --redeliver". Endpoints disabled by hand
// (disabled_reason empty) are never probed.
type ProbeWorker struct {
	river.WorkerDefaults[ProbeArgs]
	db        *gorm.DB
	client    *http.Client
	policy    RetryPolicy
	userAgent string
	log       *slog.Logger
}

// NewProbeWorker returns the probe worker; guard is the SSRF guard deliveries use.
func NewProbeWorker(db *gorm.DB, guard *egress.Guard, policy RetryPolicy, userAgent string, log *slog.Logger) *ProbeWorker {
	return &ProbeWorker{db: db, client: guard.Client(probeTimeout), policy: policy, userAgent: userAgent, log: log}
}

// probed is a disabled endpoint with a health probe.
type probed struct {
	ID       int64
	TenantID int64
	ProbeURL string `gorm:"column:probe_url"`
}

// Work probes each automatically disabled endpoint once. A probe that
// fails leaves the endpoint disabled until the next run.
func (w *ProbeWorker) Work(ctx context.Context, _ *river.Job[ProbeArgs]) error {
	var eps []probed
	err := w.db.WithContext(ctx).Table("endpoints").Select("id", "tenant_id", "probe_url").
		Where("enabled = ? AND disabled_reason <> '' AND probe_url <> ''", false).Order("id").Find(&eps).Error
	if err != nil {
		return fmt.Errorf("list endpoints to probe: %w", err)
	}
	if len(eps) == 0 {
		return nil
	}
	// The Service that redelivers needs this River client (it inserts jobs).
	svc := NewService(w.db, nil, river.ClientFromContext[*sql.Tx](ctx), w.policy, w.log)
	for _, ep := range eps {
		log := w.log.With("tenant_id", ep.TenantID, "endpoint_id", ep.ID)
		if err := w.probe(ctx, ep.ProbeURL); err != nil {
			log.Info("Health probe failed; endpoint stays disabled.", "error", err)
			continue
		}
		n, err := svc.EnableEndpoint(ctx, nil, ep.ID, true)
		if err != nil {
			return fmt.Errorf("enable endpoint %d after its probe: %w", ep.ID, err)
		}
		log.Warn("Health probe succeeded; endpoint enabled again.", "redelivered", n)
	}
	return nil
}

// probe GETs url and wants a 2xx.
func (w *ProbeWorker) probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", w.userAgent)
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe answered %d", resp.StatusCode)
	}
	return nil
}
