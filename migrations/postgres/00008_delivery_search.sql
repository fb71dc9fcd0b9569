-- +goose NO TRANSACTION
-- +goose Up
-- The delivery log's "this tenant's failed (or pending) deliveries, newest
-- first" page: without it PostgreSQL walks every delivery of the tenant and
-- filters by status, which grows with the tenant's history (see README,
-- Performance: loadtest querybench). Built CONCURRENTLY so a large
-- deliveries table keeps taking writes while it builds.
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_tenant_status_idx ON deliveries (tenant_id, status, id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_tenant_status_idx;
