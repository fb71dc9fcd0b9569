-- +goose Up
-- OAuth2 access tokens shared by the replicas (webhooks/oauth2_store.go):
-- one row per oauth2 endpoint, for the auth settings it was fetched with
-- (auth_version), so every replica delivers with the token one of them
-- fetched. Token endpoints that revoke a client's earlier token when they
-- issue a new one would otherwise have replicas refuse each other's.
-- The token is sealed like every secret; token_key (a fingerprint of it
-- under a key derived from the secret key) lets a 401 delete the row only
-- while it still holds the refused token.
CREATE TABLE oauth2_tokens (
    endpoint_id  BIGINT PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
    auth_version TEXT NOT NULL,
    token_sealed TEXT NOT NULL,
    token_key    TEXT NOT NULL,
    token_type   TEXT NOT NULL,
    expires_at   TIMESTAMPTZ,
    fetched_at   TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE oauth2_tokens;
