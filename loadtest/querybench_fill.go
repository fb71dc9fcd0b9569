package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
)

// fillBatch is how many events one INSERT … SELECT adds; batches keep each
// transaction (and SQLite's single writer) short.
const fillBatch = 50_000

// Fill adds qb.Tenants tenants with qb.Endpoints endpoints each, then events
// (four event types per meeting, each meeting owned by one tenant; the first
// tenant owns BigShare of them) and one delivery per event and endpoint:
// about 90 % delivered, 8 % failed, 2 % pending.
// Rows are generated inside the database (INSERT … SELECT over a series), so
// a million rows take seconds rather than a million round trips.
func (qb *QueryBench) Fill(ctx context.Context, db *database.DB) (*qbState, error) {
	s := &qbState{runID: qb.RunID, bigPercent: int(qb.BigShare * 100)}
	if err := insertTenants(ctx, db, "qb"+qb.RunID, qb.Tenants); err != nil {
		return nil, err
	}
	if err := db.Gorm.WithContext(ctx).Raw("SELECT id FROM tenants WHERE source_id LIKE ? ORDER BY id", "lt-qb"+qb.RunID+"-%").
		Scan(&s.tenantIDs).Error; err != nil {
		return nil, fmt.Errorf("read tenants: %w", err)
	}
	if qb.Endpoints > 1 {
		if err := qb.addEndpoints(ctx, db, s); err != nil {
			return nil, err
		}
	}
	events := qb.Deliveries / qb.Endpoints
	s.meetings = (events + 3) / 4
	for lo := 0; lo < events; lo += fillBatch {
		hi := min(events, lo+fillBatch)
		start := time.Now()
		if err := qb.fillEvents(ctx, db, s, lo, hi); err != nil {
			return nil, err
		}
		fmt.Fprintf(qb.Log, "filled events %d-%d and their deliveries in %.1fs\n", lo, hi, time.Since(start).Seconds())
	}
	_, err := db.SQL.ExecContext(ctx, "ANALYZE")
	return s, err
}

// tenantBatch is how many rows one INSERT carries when filling tenants.
const tenantBatch = 500

// insertTenants inserts n tenants of run runID, one endpoint each (a
// discard address: the bench never delivers), straight through GORM in
// batches: querybench fills a scratch database with no server running, so
// there is no API to ask and no routing cache to refresh. The load tool
// itself creates its tenants through the target's API (CreateTenants).
func insertTenants(ctx context.Context, db *database.DB, runID string, n int) error {
	now := time.Now().UTC()
	for lo := 0; lo < n; lo += tenantBatch {
		hi := min(n, lo+tenantBatch)
		ts := make([]tenants.Tenant, hi-lo)
		for i := range ts {
			ts[i] = tenants.Tenant{Name: fmt.Sprintf("Query bench %s #%d", runID, lo+i), SourceID: SourceID(runID, lo+i),
				Status: tenants.StatusActive, CreatedAt: now, UpdatedAt: now}
		}
		if err := db.Gorm.WithContext(ctx).Create(&ts).Error; err != nil {
			return fmt.Errorf("insert tenants: %w", err)
		}
		eps := make([]tenants.Endpoint, len(ts))
		for i, t := range ts {
			eps[i] = tenants.Endpoint{TenantID: t.ID, URL: fmt.Sprintf("http://127.0.0.1:9/qb/%d", lo+i), Enabled: true,
				Subscriptions: []string{}, Headers: map[string]string{}, AuthType: tenants.AuthNone,
				OAuth2Scopes: []string{}, OAuth2Params: map[string]string{}, CreatedAt: now, UpdatedAt: now}
		}
		if err := db.Gorm.WithContext(ctx).Create(&eps).Error; err != nil {
			return fmt.Errorf("insert endpoints: %w", err)
		}
	}
	return nil
}

// addEndpoints gives every bench tenant Endpoints endpoints in total.
func (qb *QueryBench) addEndpoints(ctx context.Context, db *database.DB, s *qbState) error {
	for k := 1; k < qb.Endpoints; k++ {
		err := db.Gorm.WithContext(ctx).Exec(`INSERT INTO endpoints (tenant_id, url, enabled, subscriptions, headers, auth_type, created_at, updated_at)
			SELECT id, 'http://127.0.0.1:9/qb/extra', ?, '[]', '{}', 'none', created_at, updated_at FROM tenants WHERE id IN ?`,
			true, s.tenantIDs).Error
		if err != nil {
			return fmt.Errorf("add endpoints: %w", err)
		}
	}
	return nil
}

// fillEvents inserts events lo..hi-1 and their deliveries in one transaction.
func (qb *QueryBench) fillEvents(ctx context.Context, db *database.DB, s *qbState, lo, hi int) error {
	body := []byte(`{"event":"interview.scores","data":{"meetingCode":"QB","scores":{"overall":4.2,"technical":4.5,"communication":3.9}}}`)
	now := time.Now().UTC()
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	series := fmt.Sprintf("WITH RECURSIVE g(x) AS (SELECT %d UNION ALL SELECT x + 1 FROM g WHERE x < %d)", lo, hi-1)
	p := func(i int) string { return placeholder(db.Dialect, i) }
	// Meeting m = x / 4 belongs to tenant number m % tenants; ids are read back
	// by position through the tenants' own ordering.
	insertEvents := series + fmt.Sprintf(`, t AS (SELECT id, source_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM tenants WHERE source_id LIKE %s)
INSERT INTO events (event_type, meeting_code, source_id, tenant_id, revision, fingerprint, body, received_at)
SELECT CASE x %% 4 WHEN 0 THEN 'interview.transcript' WHEN 1 THEN 'interview.evaluation' WHEN 2 THEN 'interview.scores' ELSE 'interview.recording' END,
       CAST(%s AS TEXT) || CAST(x / 4 AS TEXT), t.source_id, t.id, 1, 'fp-' || CAST(x AS TEXT), %s, %s
FROM g JOIN t ON t.k = CASE WHEN (x / 4) %% 100 < %d THEN 0 ELSE (x / 4) %% %d END`, p(1), p(2), p(3), p(4), int(qb.BigShare*100), len(s.tenantIDs))
	codePrefix := "QB-" + qb.RunID + "-"
	var before int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM events").Scan(&before); err != nil {
		return fmt.Errorf("last event id: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertEvents, "lt-qb"+qb.RunID+"-%", codePrefix, body, now); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	insertDeliveries := `INSERT INTO deliveries (event_id, tenant_id, endpoint_id, status, attempts, created_at, updated_at)
SELECT e.id, e.tenant_id, ep.id,
       CASE WHEN (e.id * 7 + ep.id) % 97 < 2 THEN 'pending' WHEN (e.id * 7 + ep.id) % 97 < 10 THEN 'failed' ELSE 'delivered' END,
       1, e.received_at, e.received_at
FROM events e JOIN endpoints ep ON ep.tenant_id = e.tenant_id
WHERE e.meeting_code LIKE ` + p(1) + ` AND e.id > ` + p(2)
	if _, err := tx.ExecContext(ctx, insertDeliveries, codePrefix+"%", before); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	return tx.Commit()
}
