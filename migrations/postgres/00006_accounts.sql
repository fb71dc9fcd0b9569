-- +goose Up
-- Accounts, API tokens, the first-run setup token and the audit trail (auth/).
-- tenant_ids is a JSON list of tenant ids for a scoped support/viewer account
-- or token; NULL means every tenant.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT        NOT NULL,
    name          TEXT        NOT NULL DEFAULT '',
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL,
    disabled      BOOLEAN     NOT NULL DEFAULT FALSE,
    tenant_ids    TEXT,
    token_version INTEGER     NOT NULL DEFAULT 1,
    last_login_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_uq ON users (lower(email));

-- api_tokens stores only the SHA-256 of each token; the token itself is shown once.
CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT        NOT NULL,
    token_hash   TEXT        NOT NULL UNIQUE,
    hint         TEXT        NOT NULL,
    role         TEXT        NOT NULL,
    tenant_ids   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, id);

CREATE TABLE setup_tokens (
    id         BIGSERIAL PRIMARY KEY,
    token_hash TEXT        NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

-- audit_log keeps tenant_id and actor_id without foreign keys: the record
-- outlives the tenant or user it names.
CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor_id  BIGINT,
    actor     TEXT        NOT NULL,
    token_id  BIGINT,
    ip        TEXT        NOT NULL DEFAULT '',
    action    TEXT        NOT NULL,
    tenant_id BIGINT,
    target    TEXT        NOT NULL DEFAULT '',
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE setup_tokens;
DROP TABLE api_tokens;
DROP TABLE users;
