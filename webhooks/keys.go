package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/secrets"
)

// DefaultKeysReload is how often every replica re-reads sources and tenant
// inbound secrets, so a change made on another replica applies everywhere.
const DefaultKeysReload = 30 * time.Second

// Keys is the in-memory set of inbound secrets: the static ones
// (BOOOPLY_WEBHOOK_SECRET), each source's active secrets and tenants' own
// inbound secrets. They are unsealed once per load and kept only in memory,
// so the ack path never queries the database to verify.
type Keys struct {
	db      *gorm.DB
	keyring *secrets.Keyring
	static  [][]byte
	log     *slog.Logger
	now     func() time.Time
	snap    atomic.Pointer[keySnapshot]
	// reload serialises Reload: Run's periodic reload, Changed after each
	// write and the sources API overlap, and a reload that read before a
	// change must not store its snapshot after one that read it.
	reload sync.Mutex
	// loaded is set once a Reload succeeded (at once without a database):
	// until then the candidates are unknown, and ingest answers 503.
	loaded atomic.Bool
}

type timedKey struct {
	key     []byte
	expires time.Time // zero: never
}

type keySnapshot struct {
	defaults   []timedKey            // sources without a platform value
	byPlatform map[string][]timedKey // X-Boooply-Platform value -> that source's secrets
	tenants    map[string][]timedKey // sourceId -> the tenant's own inbound secret (and the previous one, until it expires)
}

// NewKeys returns keys over the static secrets. db and keyring may be nil
// (then only the static secrets exist); otherwise call Reload before serving.
func NewKeys(db *gorm.DB, keyring *secrets.Keyring, static []string, log *slog.Logger) *Keys {
	k := &Keys{db: db, keyring: keyring, log: log, now: time.Now}
	for _, s := range static {
		if s = strings.TrimSpace(s); s != "" {
			k.static = append(k.static, []byte(s))
		}
	}
	k.snap.Store(&keySnapshot{})
	k.loaded.Store(db == nil || keyring == nil)
	return k
}

// Loaded reports whether the sources and tenants' secrets have been read
// at least once. Before that a tenant's own secret or a source's is
// unknown: refusing its genuine events with 401 (or accepting one signed
// with only the static secret for a tenant that has its own) would be
// wrong, so ingest answers 503 and the sender retries.
func (k *Keys) Loaded() bool { return k.loaded.Load() }

// Configured reports whether any secret at all is known; without one every
// event is refused.
func (k *Keys) Configured() bool {
	s := k.snap.Load()
	return len(k.static) > 0 || len(s.defaults) > 0 || len(s.byPlatform) > 0 || len(s.tenants) > 0
}

// Candidates returns the secrets that may have signed a request. A tenant
// with its own inbound secret (and its previous one, for the overlap after a
// rotation) is the only candidate for its (unverified) sourceId; otherwise a known X-Boooply-Platform value selects its source;
// otherwise the static secrets and every platform-less source's secrets.
func (k *Keys) Candidates(platform, sourceID string) [][]byte {
	s := k.snap.Load()
	now := k.now()
	if sourceID != "" {
		if keys, ok := s.tenants[sourceID]; ok {
			return active(nil, keys, now)
		}
	}
	if p := platformKey(platform); p != "" {
		if keys, ok := s.byPlatform[p]; ok {
			return active(nil, keys, now)
		}
	}
	out := append([][]byte(nil), k.static...)
	return active(out, s.defaults, now)
}

// platformKey is how X-Boooply-Platform values are compared: Boooply
// documents no list of values nor their case, and an admin typing
// "TalentFlow" for a header "talentflow" would otherwise see every event
// refused as a bad signature. Two sources whose values differ only in case
// share the value: both sources' secrets are tried.
func platformKey(platform string) string {
	return strings.ToLower(strings.TrimSpace(platform))
}

func active(out [][]byte, keys []timedKey, now time.Time) [][]byte {
	for _, tk := range keys {
		if tk.expires.IsZero() || now.Before(tk.expires) {
			out = append(out, tk.key)
		}
	}
	return out
}

// keyRow is one unsealable secret as Reload reads it.
type keyRow struct {
	SourceID     int64
	Platform     string
	Number       int
	SecretSealed string
	ExpiresAt    *time.Time
}

type tenantKeyRow struct {
	ID                          int64
	SourceID                    string
	InboundSecretSealed         string
	PreviousInboundSecretSealed string
	PreviousInboundExpiresAt    *time.Time
}

// Reload re-reads sources and tenants' inbound secrets and swaps the
// snapshot atomically. A secret that fails to unseal is skipped and logged
// (by id, never by value).
func (k *Keys) Reload(ctx context.Context) error {
	if k.db == nil || k.keyring == nil {
		return nil
	}
	k.reload.Lock()
	defer k.reload.Unlock()
	var rows []keyRow
	err := k.db.WithContext(ctx).Raw(`SELECT s.id AS source_id, s.platform, ss.number, ss.secret_sealed, ss.expires_at
		FROM source_secrets ss JOIN sources s ON s.id = ss.source_id WHERE s.enabled ORDER BY s.id, ss.number`).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("load source secrets: %w", err)
	}
	var trows []tenantKeyRow
	if err := k.db.WithContext(ctx).Raw(`SELECT id, source_id, inbound_secret_sealed, previous_inbound_secret_sealed, previous_inbound_expires_at
		FROM tenants WHERE inbound_secret_sealed <> ''`).Scan(&trows).Error; err != nil {
		return fmt.Errorf("load tenant inbound secrets: %w", err)
	}
	snap := &keySnapshot{byPlatform: map[string][]timedKey{}, tenants: map[string][]timedKey{}}
	for _, r := range rows {
		key, err := k.keyring.Open(r.SecretSealed, SourceSecretContext(r.SourceID, r.Number))
		if err != nil {
			k.log.Error("Could not unseal a source secret; it is ignored.", "source", r.SourceID, "number", r.Number, "error", err)
			continue
		}
		tk := timedKey{key: key}
		if r.ExpiresAt != nil {
			tk.expires = *r.ExpiresAt
		}
		if p := platformKey(r.Platform); p == "" {
			snap.defaults = append(snap.defaults, tk)
		} else {
			snap.byPlatform[p] = append(snap.byPlatform[p], tk)
		}
	}
	for _, t := range trows {
		key, err := k.keyring.Open(t.InboundSecretSealed, TenantInboundContext(t.ID))
		if err != nil {
			k.log.Error("Could not unseal a tenant's inbound secret; it is ignored.", "tenant_id", t.ID, "error", err)
			continue
		}
		keys := []timedKey{{key: key}}
		if t.PreviousInboundSecretSealed != "" && t.PreviousInboundExpiresAt != nil {
			if prev, err := k.keyring.Open(t.PreviousInboundSecretSealed, TenantInboundContext(t.ID)+"_prev"); err == nil {
				keys = append(keys, timedKey{key: prev, expires: *t.PreviousInboundExpiresAt})
			} else {
				k.log.Error("Could not unseal a tenant's previous inbound secret; it is ignored.", "tenant_id", t.ID, "error", err)
			}
		}
		snap.tenants[t.SourceID] = keys
	}
	k.snap.Store(snap)
	k.loaded.Store(true)
	return nil
}

// Run reloads every interval until ctx ends, so changes made by other
// replicas or the CLI apply here too (this replica's own API and pages call
// Changed). Until a first load
// succeeds it retries every keysRetry: ingest answers 503 meanwhile.
func (k *Keys) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultKeysReload
	}
	for {
		wait := every
		if !k.Loaded() {
			wait = min(every, keysRetry)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
			if err := k.Reload(ctx); err != nil && ctx.Err() == nil {
				k.log.Warn("Could not reload inbound secrets; keeping the previous ones.", "error", err)
			}
		}
	}
}

// changedTimeout bounds the reload Changed runs in a request's wake.
const changedTimeout = 5 * time.Second

// Changed applies a committed change of tenants' inbound secrets to this
// replica at once, as the sources API does for sources: without it a
// tenant's new secret would be refused with 401 until the next periodic
// reload. A failed reload keeps the previous keys; Run retries it.
func (k *Keys) Changed() {
	ctx, cancel := context.WithTimeout(context.Background(), changedTimeout)
	defer cancel()
	if err := k.Reload(ctx); err != nil {
		k.log.Warn("Could not reload inbound secrets after a change; the periodic reload will retry.", "error", err)
	}
}

// keysRetry is how soon Run tries again while no load has succeeded yet.
const keysRetry = time.Second

// SourceSecretContext is the sealing context of secret n of source id.
func SourceSecretContext(id int64, n int) string {
	return "source:" + strconv.FormatInt(id, 10) + ":secret:" + strconv.Itoa(n)
}

// TenantInboundContext is the sealing context of a tenant's own inbound
// secret (tenants.Tenant.InboundSecretSealed).
func TenantInboundContext(tenantID int64) string {
	return "tenant:" + strconv.FormatInt(tenantID, 10) + ":inbound"
}

// TenantBoooplyKeyContext is the sealing context of a tenant's Boooply
// organization API key (tenants.Tenant.BoooplyAPIKeySealed).
func TenantBoooplyKeyContext(tenantID int64) string {
	return "tenant:" + strconv.FormatInt(tenantID, 10) + ":boooply"
}
