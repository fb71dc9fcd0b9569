package tenants

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// DefaultCachePoll is how often a Cache checks tenants_version.
const DefaultCachePoll = 500 * time.Millisecond

// minNudgeGap spaces the reloads that local writes ask for. Each reload
// scans every tenant's id and updated_at, so a script creating 10,000
// tenants through the API, one reload per write, cost the server work
// quadratic in the tenant count (the rescans were 39 % of its CPU at
// 3,000 tenants). Writes within the gap share one reload; routing stays
// right meanwhile, since a miss reads the database.
const minNudgeGap = 100 * time.Millisecond

// Routed is a tenant with its endpoints, as the ingest path needs them.
type Routed struct {
	Tenant    Tenant
	Endpoints []Endpoint
}

// Cache keeps every tenant and its endpoints in memory, keyed by sourceId
// and id, so ingest routes without a query. Every write through Store bumps
// tenants_version in its transaction; Run polls that one row and reloads
// the snapshot when it moved, so a change on any replica (or from the CLI)
// is seen everywhere within one poll interval. A miss is not an answer:
// callers fall back to the database (a tenant created a moment ago).
type Cache struct {
	db       *gorm.DB
	interval time.Duration
	log      *slog.Logger
	nudge    chan struct{}

	reloads atomic.Int64 // snapshots loaded, for tests

	mu       sync.RWMutex
	version  int64
	loaded   bool
	lastFull time.Time
	bySource map[string]*Routed
	byID     map[int64]*Routed
}

// NewCache returns an empty cache over db polling every interval
// (DefaultCachePoll when 0). Call Run to fill and refresh it.
func NewCache(db *gorm.DB, interval time.Duration, log *slog.Logger) *Cache {
	if interval <= 0 {
		interval = DefaultCachePoll
	}
	return &Cache{db: db, interval: interval, log: log, nudge: make(chan struct{}, 1)}
}

// Changed asks Run to check for a new version now (a local write just committed).
func (c *Cache) Changed() {
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

// Run refreshes the cache until ctx ends. Errors are logged and retried at
// the next tick; meanwhile lookups serve the last snapshot.
func (c *Cache) Run(ctx context.Context) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	var lastWarn, lastRefresh time.Time
	for {
		lastRefresh = time.Now()
		// Warn at most once a minute: a database down or not yet migrated
		// would otherwise log twice a second.
		if err := c.Refresh(ctx); err != nil && ctx.Err() == nil && time.Since(lastWarn) > time.Minute {
			c.log.Warn("Could not refresh the tenant cache; routing reads the database on misses.", "error", err)
			lastWarn = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.nudge:
			if !sleepCtx(ctx, minNudgeGap-time.Since(lastRefresh)) {
				return
			}
		}
	}
}

// sleepCtx waits d (nothing when d <= 0); false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// Refresh reloads the snapshot if tenants_version moved since the last load.
func (c *Cache) Refresh(ctx context.Context) error {
	var v int64
	if err := c.db.WithContext(ctx).Raw("SELECT version FROM tenants_version WHERE id = 1").Scan(&v).Error; err != nil {
		return fmt.Errorf("read tenants version: %w", err)
	}
	c.mu.RLock()
	fresh := c.loaded && c.version == v
	full, prev := !c.loaded || time.Since(c.lastFull) > fullReloadEvery, c.byID
	c.mu.RUnlock()
	if fresh {
		return nil
	}
	// Read after the version: the data is at least as new as v; a change
	// racing with this load bumps the version again and the next poll reloads.
	var bySource map[string]*Routed
	var byID map[int64]*Routed
	var err error
	if full {
		bySource, byID, err = loadAll(ctx, c.db)
	} else {
		bySource, byID, err = loadChanged(ctx, c.db, prev)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.version, c.loaded, c.bySource, c.byID = v, true, bySource, byID
	if full {
		c.lastFull = time.Now()
	}
	c.mu.Unlock()
	c.reloads.Add(1)
	c.log.Debug("Reloaded the tenant cache.", "version", v, "tenants", len(byID), "full", full)
	return nil
}

func loadAll(ctx context.Context, db *gorm.DB) (map[string]*Routed, map[int64]*Routed, error) {
	var ts []Tenant
	if err := db.WithContext(ctx).Find(&ts).Error; err != nil {
		return nil, nil, fmt.Errorf("load tenants: %w", err)
	}
	var eps []Endpoint
	if err := db.WithContext(ctx).Order("id").Find(&eps).Error; err != nil {
		return nil, nil, fmt.Errorf("load endpoints: %w", err)
	}
	bySource := make(map[string]*Routed, len(ts))
	byID := make(map[int64]*Routed, len(ts))
	for _, t := range ts {
		r := &Routed{Tenant: t}
		bySource[t.SourceID], byID[t.ID] = r, r
	}
	for _, e := range eps {
		if r := byID[e.TenantID]; r != nil {
			r.Endpoints = append(r.Endpoints, e)
		}
	}
	return bySource, byID, nil
}

// BySourceID returns the cached tenant routed by sourceID. The result is
// shared: callers must not modify it. ok is false on a miss.
func (c *Cache) BySourceID(sourceID string) (*Routed, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.bySource[sourceID]
	return r, ok
}

// ByID returns the cached tenant id (shared, read-only); ok is false on a miss.
func (c *Cache) ByID(id int64) (*Routed, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.byID[id]
	return r, ok
}

// Version is the tenants_version of the current snapshot (for tests and metrics).
func (c *Cache) Version() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.version
}
