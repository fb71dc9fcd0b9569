package webhooks

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/testdb"
)

// pausingHandler holds the first record logged until release closes, so a
// test can stop a Reload after its reads and before it stores its snapshot.
type pausingHandler struct {
	slog.Handler
	first   atomic.Bool
	paused  chan struct{}
	release chan struct{}
}

func (h *pausingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *pausingHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.first.CompareAndSwap(false, true) { // later records pass: a sync.Once would hold them too
		close(h.paused)
		<-h.release
	}
	return nil
}

// TestKeysReloadsDoNotOverwriteNewer: a reload that read the secrets before
// a tenant's new inbound secret committed must not replace, when it ends
// late, the snapshot of a reload that read it (Changed after each write and
// Run's periodic reload overlap); otherwise the new secret is refused with
// 401 until the next periodic reload.
func TestKeysReloadsDoNotOverwriteNewer(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		kr := testKeyring(t)
		broken := mustCreateTenant(t, db, "org_broken", "https://a.example/hook")
		own := mustCreateTenant(t, db, "org_new_secret", "https://b.example/hook")
		// A secret that won't unseal makes every Reload log once, after its reads.
		setInbound(t, db, broken.ID, "not a sealed secret")
		h := &pausingHandler{Handler: slog.DiscardHandler, paused: make(chan struct{}), release: make(chan struct{})}
		keys := NewKeys(db.Gorm, kr, nil, slog.New(h))

		stale := make(chan error, 1)
		go func() { stale <- keys.Reload(ctx) }()
		<-h.paused // the first reload has read: org_new_secret has no secret yet
		sealed, err := kr.Seal([]byte("tenant-new-secret"), TenantInboundContext(own.ID))
		if err != nil {
			t.Fatal(err)
		}
		setInbound(t, db, own.ID, sealed)
		fresh := make(chan error, 1)
		go func() { fresh <- keys.Reload(ctx) }()
		select {
		case err := <-fresh: // no serialisation: the fresh reload ends first
			fresh <- err
		case <-time.After(200 * time.Millisecond): // serialised: it waits for the stale one
		}
		close(h.release)
		if err := <-stale; err != nil {
			t.Fatal(err)
		}
		if err := <-fresh; err != nil {
			t.Fatal(err)
		}
		if got := keys.Candidates("", "org_new_secret"); len(got) != 1 || string(got[0]) != "tenant-new-secret" {
			t.Fatalf("candidates for org_new_secret = %q, want the new secret", got)
		}
	})
}

func setInbound(t testing.TB, db *database.DB, tenantID int64, sealed string) {
	t.Helper()
	if err := db.Gorm.Model(&tenants.Tenant{}).Where("id = ?", tenantID).Update("inbound_secret_sealed", sealed).Error; err != nil {
		t.Fatal(err)
	}
}
