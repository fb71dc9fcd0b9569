package tenants

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboard-gw/switchboard/problem"
)

// insertBatch is how many rows one INSERT carries (an endpoint has about
// 35 columns: well under either dialect's limit on bound parameters).
const insertBatch = 100

// sealedColumns are the endpoint columns written once the endpoint has its id.
var sealedColumns = []string{"auth_secret_sealed", "auth_secret_set_at", "signing_secret_sealed", "signing_secret_set_at",
	"client_key_sealed", "client_key_set_at", "bullhorn_password_sealed", "bullhorn_password_set_at"}

// insertTenants inserts prepared tenants and their endpoints inside tx, a
// batch of rows per statement, then seals each endpoint's secrets (bound to
// its id) and gives it a signing secret. A thousand tenants take a few
// dozen statements, not three per tenant. A sourceId taken meanwhile is a
// problem.Conflict.
func (ed *Editor) insertTenants(tx *gorm.DB, preps []preparedTenant) ([]Created, error) {
	now := ed.now().UTC()
	ts := make([]*Tenant, len(preps))
	for i, p := range preps {
		p.tenant.CreatedAt, p.tenant.UpdatedAt = now, now
		ts[i] = p.tenant
	}
	if err := tx.CreateInBatches(ts, insertBatch).Error; err != nil {
		return nil, tenantsWriteErr(err, preps)
	}
	var eps []*Endpoint
	for _, p := range preps {
		for _, e := range p.endpoints {
			e.TenantID = p.tenant.ID
			e.fillDefaults()
			e.CreatedAt, e.UpdatedAt = now, now
			eps = append(eps, e)
		}
	}
	if len(eps) == 0 {
		return createdOf(preps, nil), nil
	}
	if err := tx.CreateInBatches(eps, insertBatch).Error; err != nil {
		return nil, fmt.Errorf("insert endpoints: %w", err)
	}
	secrets, err := ed.sealNew(preps, now)
	if err != nil {
		return nil, err
	}
	// The sealed values go in as an upsert on the rows just inserted: one
	// statement per batch where an UPDATE would take one per endpoint.
	upsert := clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(sealedColumns)}
	if err := tx.Clauses(upsert).CreateInBatches(eps, insertBatch).Error; err != nil {
		return nil, fmt.Errorf("store endpoint secrets: %w", err)
	}
	return createdOf(preps, secrets), nil
}

// sealNew seals the secrets of the just-inserted endpoints of preps and
// gives each a signing secret; it returns the plaintext signing secrets in
// the order of the endpoints.
func (ed *Editor) sealNew(preps []preparedTenant, now time.Time) ([]string, error) {
	var out []string
	for _, p := range preps {
		for j, e := range p.endpoints {
			if err := ed.sealInputs(e, p.inputs[j], now); err != nil {
				return nil, err
			}
			secret, err := ed.newSigningSecret(e, now)
			if err != nil {
				return nil, err
			}
			out = append(out, secret)
		}
	}
	return out, nil
}

// createdOf pairs each tenant with its endpoints' views; secrets (in
// endpoint order) are the once-shown signing secrets.
func createdOf(preps []preparedTenant, secrets []string) []Created {
	out := make([]Created, len(preps))
	k := 0
	for i, p := range preps {
		views := make([]EndpointView, len(p.endpoints))
		for j, e := range p.endpoints {
			views[j] = e.View()
			views[j].NewSigningSecret = secrets[k]
			k++
		}
		out[i] = Created{Tenant: p.tenant, Endpoints: views}
	}
	return out
}

// tenantsWriteErr explains a failed insert of preps' tenants: a unique
// violation is a sourceId another tenant took since the check.
func tenantsWriteErr(err error, preps []preparedTenant) error {
	if len(preps) == 1 {
		return tenantWriteErr(err, preps[0].tenant.SourceID)
	}
	if p, ok := problem.As(tenantWriteErr(err, "")); ok {
		p.Message = "another tenant took one of these source_ids while the import ran; nothing was imported (send it again to see which)"
		p.Details = []problem.Detail{{Field: "tenants", Reason: "a source_id was taken meanwhile"}}
		return p
	}
	return fmt.Errorf("insert tenants: %w", err)
}
