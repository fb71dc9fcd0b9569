-- +goose Up
-- The delivery log's "this tenant's failed (or pending) deliveries, newest
-- first" page reads this index instead of every delivery of the tenant.
CREATE INDEX IF NOT EXISTS deliveries_tenant_status_idx ON deliveries (tenant_id, status, id);

-- +goose Down
DROP INDEX IF EXISTS deliveries_tenant_status_idx;
