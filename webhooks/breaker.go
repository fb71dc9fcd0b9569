package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/switchboard-gw/switchboard/tenants"
	"log/slog"
	"net/http"
	"time"

	"gorm.io/gorm"
)

// Circuit breaker defaults.
const (
	DefaultBreakerThreshold = 5
	DefaultBreakerCooldown  = time.Minute
	DefaultDisableAfter     = 5 * 24 * time.Hour
)

// BreakerConfig is the per-endpoint circuit breaker: after Threshold
// consecutive failed attempts the circuit opens and the endpoint's
// deliveries wait Cooldown; then one of them probes (claimed atomically in
// the database, so one replica probes at a time); success closes the
// circuit, failure opens it again. An endpoint failing for DisableAfter is
// disabled, with the reason recorded.
type BreakerConfig struct {
	Threshold    int
	Cooldown     time.Duration
	DisableAfter time.Duration
	// OperatorWebhookURL, when set, receives a JSON POST when an endpoint is
	// disabled automatically.
	OperatorWebhookURL string
}

func (c BreakerConfig) withDefaults() BreakerConfig {
	if c.Threshold <= 0 {
		c.Threshold = DefaultBreakerThreshold
	}
	if c.Cooldown <= 0 {
		c.Cooldown = DefaultBreakerCooldown
	}
	if c.DisableAfter <= 0 {
		c.DisableAfter = DefaultDisableAfter
	}
	return c
}

// EndpointHealth is the delivery engine's view of an endpoint (the columns
// of migration 00005). A disabled endpoint has DisabledReason set.
type EndpointHealth struct {
	ID                  int64
	TenantID            int64
	Enabled             bool
	ConsecutiveFailures int
	FailingSince        *time.Time
	CircuitOpenUntil    *time.Time
	DisabledReason      string
	DisabledAt          *time.Time
}

// TableName maps EndpointHealth onto the endpoints table.
func (EndpointHealth) TableName() string { return "endpoints" }

// gate says whether an attempt to h may start now: 0 to go ahead (a closed
// circuit, or this caller won the probe), otherwise how long to wait.
func (w *Worker) gate(ctx context.Context, h *EndpointHealth, now time.Time) (time.Duration, error) {
	if h.CircuitOpenUntil == nil {
		return 0, nil
	}
	if now.Before(*h.CircuitOpenUntil) {
		return h.CircuitOpenUntil.Sub(now), nil
	}
	res := w.db.WithContext(ctx).Model(&EndpointHealth{}).
		Where("id = ? AND circuit_open_until IS NOT NULL AND circuit_open_until <= ?", h.ID, now).
		Update("circuit_open_until", now.Add(w.breaker.Cooldown))
	if res.Error != nil {
		return 0, fmt.Errorf("claim probe of endpoint %d: %w", h.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return w.breaker.Cooldown, nil // another worker is probing
	}
	return 0, nil
}

// recordHealth updates the endpoint's breaker after an attempt, inside tx.
// It returns a reason when the endpoint must now be disabled.
func (w *Worker) recordHealth(tx *gorm.DB, h *EndpointHealth, kind Kind, now time.Time) (string, error) {
	q := tx.Model(&EndpointHealth{}).Where("id = ?", h.ID)
	switch kind {
	case Delivered:
		if h.ConsecutiveFailures == 0 && h.FailingSince == nil && h.CircuitOpenUntil == nil {
			return "", nil
		}
		return "", q.Updates(map[string]any{"consecutive_failures": 0, "failing_since": nil, "circuit_open_until": nil}).Error
	case Gone:
		return "the endpoint answered 410 Gone", nil
	}
	updates := map[string]any{"consecutive_failures": gorm.Expr("consecutive_failures + 1")}
	since := now
	if h.FailingSince != nil {
		since = *h.FailingSince
	} else {
		updates["failing_since"] = now
	}
	if h.ConsecutiveFailures+1 >= w.breaker.Threshold {
		updates["circuit_open_until"] = now.Add(w.breaker.Cooldown)
	}
	if err := q.Updates(updates).Error; err != nil {
		return "", err
	}
	if now.Sub(since) >= w.breaker.DisableAfter {
		return fmt.Sprintf("failing since %s (%d consecutive failed attempts)", since.Format(time.RFC3339), h.ConsecutiveFailures+1), nil
	}
	return "", nil
}

// disableEndpoint switches the endpoint off with reason, inside tx, and
// bumps the tenants version so every replica's routing cache sees it.
func disableEndpoint(tx *gorm.DB, id int64, reason string, now time.Time) error {
	err := tx.Model(&EndpointHealth{}).Where("id = ?", id).Updates(map[string]any{
		"enabled": false, "disabled_reason": reason, "disabled_at": now, "circuit_open_until": nil, "updated_at": now,
	}).Error
	if err != nil {
		return err
	}
	return tenants.BumpVersion(tx)
}

// announceDisabled logs, counts and (optionally) tells the operator that an
// endpoint was disabled automatically.
func (w *Worker) announceDisabled(log *slog.Logger, h *EndpointHealth, reason string, now time.Time) {
	log.Warn("Disabled an endpoint automatically.", "reason", reason)
	w.metrics.endpointDisabled()
	if w.breaker.OperatorWebhookURL == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{"type": "endpoint.disabled", "endpoint_id": h.ID, "tenant_id": h.TenantID,
		"reason": reason, "disabled_at": now.Format(time.RFC3339)})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.breaker.OperatorWebhookURL, bytes.NewReader(body))
		if err != nil {
			log.Warn("Operator webhook URL is unusable.", "error", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", w.userAgent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Warn("Could not notify the operator webhook.", "error", err)
			return
		}
		resp.Body.Close()
	}()
}
