package tenants

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
)

// MaxImport is the most tenants one import creates. A vendor onboarding
// more sends several imports; each stays one short transaction.
const MaxImport = 1000

// MaxNewEndpoints is the most endpoints one import (or one tenant create)
// adds. They are inserted, and their secrets sealed, in one transaction that
// every other write waits for on SQLite, ingest included: 10,000 take about
// a second, the 100,000 a 10 MiB body can carry took ten.
const MaxNewEndpoints = 10_000

// maxImportDetails bounds the details of a refused import: enough to fix a
// file in one pass without answering a thousand lines.
const maxImportDetails = 100

// sourceIDChunk is how many sourceIds one "already taken?" query asks about.
const sourceIDChunk = 500

// TenantInput is one tenant to create with its endpoints: the body of
// POST /tenants and one item of an import.
type TenantInput struct {
	Name      string          `json:"name"`
	SourceID  string          `json:"source_id"`
	Notes     string          `json:"notes"`
	Status    Status          `json:"status"`
	Endpoints []EndpointInput `json:"endpoints"`
}

// tenant returns the (not yet validated) tenant in describes.
func (in TenantInput) tenant() *Tenant {
	return &Tenant{Name: in.Name, SourceID: in.SourceID, Notes: in.Notes, Status: in.Status}
}

// Created is a tenant just created; each endpoint view carries its new
// signing secret (shown once).
type Created struct {
	Tenant    *Tenant
	Endpoints []EndpointView
}

// CheckImport validates an import without writing anything: the same
// checks, and errors, as ImportTenants.
func (ed *Editor) CheckImport(ctx context.Context, items []TenantInput) error {
	_, err := ed.prepareImport(ctx, items)
	return err
}

// ImportTenants creates every item or none. All items are validated first:
// the refusal is one problem.Invalid whose details name each bad field as
// tenants[i].field (a sourceId given twice included). A sourceId another
// tenant has, or took while the import ran, is a problem.Conflict naming
// tenants[i].source_id. The tenants are inserted in one transaction with
// one tenants_version bump; the result keeps the order of items.
func (ed *Editor) ImportTenants(ctx context.Context, items []TenantInput) ([]Created, error) {
	preps, err := ed.prepareImport(ctx, items)
	if err != nil {
		return nil, err
	}
	if ed.beforeImportWrite != nil {
		ed.beforeImportWrite()
	}
	var out []Created
	err = ed.write(ctx, func(tx *gorm.DB) (err error) {
		out, err = ed.insertTenants(tx, preps)
		return err
	})
	if err != nil {
		return nil, takenMeanwhile(ctx, ed.db, preps, err)
	}
	return out, nil
}

// takenMeanwhile explains err, the failed insert of preps: a conflict is a
// sourceId another tenant took between the check and the insert, and the
// unique violation names neither the item nor (on SQLite) the value, so
// the check runs again, after the rollback, to name each item. err stays
// when it was something else, or when the clashing tenant is gone again.
func takenMeanwhile(ctx context.Context, db *gorm.DB, preps []preparedTenant, err error) error {
	if p, ok := problem.As(err); !ok || p.Code != problem.CodeConflict {
		return err
	}
	again := checkSourcesFree(ctx, db, preps)
	if _, ok := problem.As(again); ok {
		return again
	}
	return err
}

// prepareWorkers bounds the items validated at once: an endpoint URL's
// check may wait for DNS, and a thousand lookups in a row could outlast
// the request.
const prepareWorkers = 8

// prepareImport validates every item and checks that no sourceId repeats
// or is taken.
func (ed *Editor) prepareImport(ctx context.Context, items []TenantInput) ([]preparedTenant, error) {
	if len(items) == 0 || len(items) > MaxImport {
		return nil, problem.Invalid("tenants", fmt.Sprintf("needs 1 to %d tenants; send more in several imports", MaxImport))
	}
	if n := endpointCount(items); n > MaxNewEndpoints {
		return nil, problem.Invalid("tenants", fmt.Sprintf("hold %d endpoints; one import adds at most %d: send the tenants in several imports", n, MaxNewEndpoints))
	}
	preps := make([]preparedTenant, len(items))
	errs := make([]error, len(items))
	concurrently(len(items), prepareWorkers, func(i int) {
		preps[i], errs[i] = ed.prepareTenant(ctx, items[i].tenant(), items[i].Endpoints)
	})
	var bad itemProblems
	firstAt := make(map[string]int, len(items)) // sourceId → the item that gave it first
	for i, p := range preps {
		if errs[i] != nil {
			if err := bad.add(i, errs[i]); err != nil {
				return nil, err
			}
			continue
		}
		if j, dup := firstAt[p.tenant.SourceID]; dup {
			bad.addField(i, "source_id", fmt.Sprintf("repeats tenants[%d].source_id", j))
			continue
		}
		firstAt[p.tenant.SourceID] = i
	}
	if err := bad.err(problem.CodeInvalid); err != nil {
		return nil, err
	}
	return preps, checkSourcesFree(ctx, ed.db, preps)
}

func endpointCount(items []TenantInput) int {
	n := 0
	for _, it := range items {
		n += len(it.Endpoints)
	}
	return n
}

// concurrently calls fn(0..n-1) on up to workers goroutines and waits.
func concurrently(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, workers) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// checkSourcesFree refuses the items whose sourceId a tenant already has.
// Like a single create, it does not say which tenant: an admin limited to
// some tenants must not learn of the others.
func checkSourcesFree(ctx context.Context, db *gorm.DB, preps []preparedTenant) error {
	itemOf := make(map[string]int, len(preps))
	ids := make([]string, len(preps))
	for i, p := range preps {
		itemOf[p.tenant.SourceID], ids[i] = i, p.tenant.SourceID
	}
	var taken []int
	for chunk := range slices.Chunk(ids, sourceIDChunk) {
		var found []string
		if err := db.WithContext(ctx).Table("tenants").Where("source_id IN ?", chunk).Pluck("source_id", &found).Error; err != nil {
			return fmt.Errorf("find taken source ids: %w", err)
		}
		for _, s := range found {
			taken = append(taken, itemOf[s])
		}
	}
	slices.Sort(taken)
	var bad itemProblems
	for _, i := range taken {
		bad.addField(i, "source_id", "is taken by another tenant")
	}
	return bad.err(problem.CodeConflict)
}

// itemProblems gathers the refusals of an import's items.
type itemProblems struct {
	details []problem.Detail
	count   int
}

// add records item i's refusal err, its fields named tenants[i].field. An
// error that is not a client problem is returned: the import stops.
func (b *itemProblems) add(i int, err error) error {
	p, ok := problem.As(err)
	if !ok {
		return err
	}
	if len(p.Details) == 0 {
		b.addField(i, "", p.Message)
		return nil
	}
	for _, d := range p.Details {
		b.addField(i, d.Field, d.Reason)
	}
	return nil
}

func (b *itemProblems) addField(i int, field, reason string) {
	b.count++
	if len(b.details) < maxImportDetails {
		b.details = append(b.details, problem.Detail{Field: itemField(i, field), Reason: reason})
	}
}

// err is the refusal of the whole import (nil when nothing was refused).
func (b *itemProblems) err(code problem.Code) error {
	if b.count == 0 {
		return nil
	}
	first := b.details[0]
	msg := first.Field + ": " + first.Reason
	if b.count > 1 {
		msg += fmt.Sprintf(" (and %d more; nothing was imported)", b.count-1)
	}
	if b.count > len(b.details) {
		msg += fmt.Sprintf("; details lists the first %d", len(b.details))
	}
	return &problem.Error{Code: code, Message: msg, Details: b.details}
}

// itemField names field of item i: tenants[3].source_id ("" → tenants[3]).
func itemField(i int, field string) string {
	if field == "" {
		return fmt.Sprintf("tenants[%d]", i)
	}
	return fmt.Sprintf("tenants[%d].%s", i, field)
}
