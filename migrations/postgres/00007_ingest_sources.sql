-- +goose Up
-- Inbound sources: a Boooply platform account (or several) whose secrets sign
-- webhooks. platform, when set, is the X-Boooply-Platform value that selects it.
CREATE TABLE sources (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT        NOT NULL,
    platform   TEXT        NOT NULL DEFAULT '',
    enabled    BOOLEAN     NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX sources_platform_uq ON sources (platform) WHERE platform <> '';

-- A source's secrets, sealed (context source:<id>:secret:<number>). After a
-- rotation the older ones stay valid until expires_at (the overlap).
CREATE TABLE source_secrets (
    id            BIGSERIAL PRIMARY KEY,
    source_id     BIGINT      NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    number        INTEGER     NOT NULL,
    secret_sealed TEXT        NOT NULL,
    hint          TEXT        NOT NULL DEFAULT '',
    expires_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT source_secrets_number_uq UNIQUE (source_id, number)
);

-- Recording events: the durable link and when the pre-signed videoUrl dies.
ALTER TABLE events ADD COLUMN video_api_url TEXT;
ALTER TABLE events ADD COLUMN video_url_expires_at TIMESTAMPTZ;
CREATE INDEX events_revisions_idx ON events (meeting_code, event_type, revision);

-- Stable recording links Switchboard serves at /r/<token>; revocable.
CREATE TABLE recording_links (
    id         BIGSERIAL PRIMARY KEY,
    event_id   BIGINT      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tenant_id  BIGINT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    CONSTRAINT recording_links_event_uq UNIQUE (event_id)
);
CREATE INDEX recording_links_tenant_idx ON recording_links (tenant_id, id);

-- +goose Down
DROP TABLE recording_links;
DROP INDEX events_revisions_idx;
ALTER TABLE events DROP COLUMN video_url_expires_at;
ALTER TABLE events DROP COLUMN video_api_url;
DROP TABLE source_secrets;
DROP TABLE sources;
