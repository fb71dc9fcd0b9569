-- +goose Up
-- tenants_version is bumped in the same transaction as every tenant or
-- endpoint change; each replica polls it to refresh its sourceId cache.
CREATE TABLE tenants_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT  NOT NULL
);
INSERT INTO tenants_version (id, version) VALUES (1, 0);

-- held_deliveries_log records every "deliver held events" decision: who
-- attached which unrouted events to which tenant, and how many.
CREATE TABLE held_deliveries_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source_id  TEXT,
    since      DATETIME,
    events     INTEGER     NOT NULL,
    actor      TEXT        NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX held_deliveries_log_tenant_idx ON held_deliveries_log (tenant_id, id);

-- When each endpoint secret was set (the API shows "set" and this time, never a hint of the value).
ALTER TABLE endpoints ADD COLUMN auth_secret_set_at DATETIME;
ALTER TABLE endpoints ADD COLUMN signing_secret_set_at DATETIME;
ALTER TABLE endpoints ADD COLUMN client_key_set_at DATETIME;

CREATE INDEX tenants_status_idx ON tenants (status, id);
CREATE INDEX tenants_name_idx ON tenants (name, id);
CREATE INDEX events_received_idx ON events (received_at);

-- +goose Down
DROP INDEX events_received_idx;
DROP INDEX tenants_name_idx;
DROP INDEX tenants_status_idx;
ALTER TABLE endpoints DROP COLUMN client_key_set_at;
ALTER TABLE endpoints DROP COLUMN signing_secret_set_at;
ALTER TABLE endpoints DROP COLUMN auth_secret_set_at;
DROP TABLE held_deliveries_log;
DROP TABLE tenants_version;
