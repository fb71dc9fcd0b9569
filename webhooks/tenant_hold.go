package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboard-gw/switchboard/tenants"
)

// ReasonTenantDisabled is the last_error of a queued delivery cancelled
// because its tenant was disabled: failed (visible, retryable by hand once
// the tenant is active again), with no attempt recorded, since none was made.
const ReasonTenantDisabled = "tenant disabled"

// errTenantDisabled ends the River job of such a delivery.
var errTenantDisabled = errors.New(ReasonTenantDisabled)

// tenantNotActive handles a queued delivery whose tenant is no longer
// active, without sending and without counting an attempt: paused puts it
// back to held (Service.ReleaseHeld queues it again on resume), disabled
// fails it. The tenant's status is re-read under a row lock (SHARE on
// PostgreSQL; SQLite transactions are exclusive), so a resume committing
// meanwhile either runs after this hold and releases it, or has already
// made the tenant active and the delivery is simply tried again.
func (w *Worker) tenantNotActive(ctx context.Context, log *slog.Logger, deliveryID, tenantID int64) step {
	var status tenants.Status
	err := w.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var tn tenants.Tenant
		q := tx.Select("id", "status").Where("id = ?", tenantID)
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "SHARE"})
		}
		if err := q.First(&tn).Error; err != nil {
			return fmt.Errorf("check tenant status: %w", err)
		}
		status = tn.Status
		updates := map[string]any{"updated_at": w.now().UTC()}
		switch status {
		case tenants.StatusPaused:
			updates["status"] = DeliveryHeld
		case tenants.StatusDisabled:
			updates["status"], updates["last_error"] = DeliveryFailed, ReasonTenantDisabled
		default:
			return nil
		}
		return tx.Model(&Delivery{}).Where("id = ? AND status = ?", deliveryID, DeliveryPending).Updates(updates).Error
	})
	switch {
	case err != nil:
		return step{err: fmt.Errorf("hold delivery of a paused tenant: %w", err)}
	case status == tenants.StatusPaused:
		log.Info("Tenant is paused; delivery held until it resumes.")
		return step{} // the job ends; resume inserts a new one
	case status == tenants.StatusDisabled:
		log.Info("Tenant is disabled; delivery cancelled.")
		return step{cancel: errTenantDisabled}
	}
	return step{again: true, wait: jitter(w.busyWait)} // resumed meanwhile: try again shortly
}
