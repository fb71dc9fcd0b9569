-- +goose Up
CREATE TABLE tenants (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT        NOT NULL,
    source_id  TEXT        NOT NULL UNIQUE,
    status     TEXT        NOT NULL DEFAULT 'active',
    notes      TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE endpoints (
    id            BIGSERIAL PRIMARY KEY,
    tenant_id     BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url           TEXT        NOT NULL,
    description   TEXT        NOT NULL DEFAULT '',
    enabled       BOOLEAN     NOT NULL DEFAULT TRUE,
    subscriptions TEXT        NOT NULL DEFAULT '[]',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX endpoints_tenant_idx ON endpoints (tenant_id);

-- events holds every accepted inbound webhook once, byte-exact (bytea, never
-- jsonb: jsonb reorders keys and the body is the signature's subject).
CREATE TABLE events (
    id                BIGSERIAL PRIMARY KEY,
    event_type        TEXT        NOT NULL,
    meeting_code      TEXT        NOT NULL,
    source_id         TEXT,
    tenant_id         BIGINT REFERENCES tenants (id) ON DELETE SET NULL,
    revision          INTEGER     NOT NULL,
    fingerprint       TEXT        NOT NULL,
    body              BYTEA       NOT NULL,
    duplicates        INTEGER     NOT NULL DEFAULT 0,
    last_duplicate_at TIMESTAMPTZ,
    received_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT events_fingerprint_uq UNIQUE (meeting_code, event_type, fingerprint),
    CONSTRAINT events_revision_uq UNIQUE (meeting_code, event_type, revision)
);
CREATE INDEX events_unrouted_idx ON events (source_id, id) WHERE tenant_id IS NULL;
CREATE INDEX events_tenant_idx ON events (tenant_id, id);

CREATE TABLE deliveries (
    id               BIGSERIAL PRIMARY KEY,
    event_id         BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tenant_id        BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    endpoint_id      BIGINT      NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    status           TEXT        NOT NULL DEFAULT 'pending',
    attempts         INTEGER     NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error       TEXT        NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    CONSTRAINT deliveries_event_endpoint_uq UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_tenant_idx ON deliveries (tenant_id, id);
CREATE INDEX deliveries_status_idx ON deliveries (status, id);

CREATE TABLE attempts (
    id            BIGSERIAL PRIMARY KEY,
    delivery_id   BIGINT      NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    tenant_id     BIGINT      NOT NULL,
    number        INTEGER     NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    duration_ms   INTEGER     NOT NULL,
    status_code   INTEGER,
    error_class   TEXT        NOT NULL DEFAULT '',
    error         TEXT        NOT NULL DEFAULT '',
    response_body TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX attempts_delivery_idx ON attempts (delivery_id, id);

-- +goose Down
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE endpoints;
DROP TABLE tenants;
