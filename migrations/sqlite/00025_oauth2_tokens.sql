-- +goose Up
-- OAuth2 access tokens shared by the replicas: see the PostgreSQL migration
-- of the same number.
CREATE TABLE oauth2_tokens (
    endpoint_id  INTEGER PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
    auth_version TEXT NOT NULL,
    token_sealed TEXT NOT NULL,
    token_key    TEXT NOT NULL,
    token_type   TEXT NOT NULL,
    expires_at   DATETIME,
    fetched_at   DATETIME NOT NULL
);

-- +goose Down
DROP TABLE oauth2_tokens;
