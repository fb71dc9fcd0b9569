package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
)

// tenantBatch is how many rows one INSERT carries when bulk-creating tenants.
const tenantBatch = 500

// CreateTenants inserts n tenants of run runID, each with one endpoint at
// endpointURL(i), straight through GORM in batches (10,000 tenants one
// transaction each would take longer than the run). The database must be
// migrated (the target server does that on start). The tenants version is
// bumped at the end so the server's routing cache picks them up.
func CreateTenants(ctx context.Context, dbURL, runID string, n int, endpointURL func(int) string) error {
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now().UTC()
	for lo := 0; lo < n; lo += tenantBatch {
		hi := min(n, lo+tenantBatch)
		ts := make([]tenants.Tenant, hi-lo)
		for i := range ts {
			ts[i] = tenants.Tenant{Name: fmt.Sprintf("Load test %s #%d", runID, lo+i), SourceID: SourceID(runID, lo+i),
				Status: tenants.StatusActive, CreatedAt: now, UpdatedAt: now}
		}
		if err := db.Gorm.WithContext(ctx).Create(&ts).Error; err != nil {
			return fmt.Errorf("insert tenants: %w", err)
		}
		eps := make([]tenants.Endpoint, len(ts))
		for i, t := range ts {
			eps[i] = tenants.Endpoint{TenantID: t.ID, URL: endpointURL(lo + i), Enabled: true, Subscriptions: []string{},
				Headers: map[string]string{}, AuthType: tenants.AuthNone, CreatedAt: now, UpdatedAt: now}
		}
		if err := db.Gorm.WithContext(ctx).Create(&eps).Error; err != nil {
			return fmt.Errorf("insert endpoints: %w", err)
		}
	}
	// As every real write does: the server's tenant cache reloads on a new
	// version; without it every event would miss the cache and query.
	return tenants.BumpVersion(db.Gorm.WithContext(ctx))
}
