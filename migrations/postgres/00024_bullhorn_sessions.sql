-- +goose Up
-- Bullhorn REST sessions shared by the replicas (webhooks/bullhorn_store.go):
-- one row per Bullhorn login, keyed by a fingerprint of its settings and
-- secrets under a key derived from the secret key. The BhRestToken is
-- sealed like every secret; token_key (a fingerprint of it) lets a 401
-- delete the row only while it still holds the refused token. used_at is
-- written at most once a minute per process, so an idle row is one no
-- replica has used; rows idle for an hour are deleted at the next login.
CREATE TABLE bullhorn_sessions (
    login_key    TEXT PRIMARY KEY,
    token_sealed TEXT NOT NULL,
    token_key    TEXT NOT NULL,
    rest_url     TEXT NOT NULL,
    used_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE bullhorn_sessions;
