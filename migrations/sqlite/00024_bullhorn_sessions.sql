-- +goose Up
-- Bullhorn REST sessions: see the PostgreSQL migration of the same number.
CREATE TABLE bullhorn_sessions (
    login_key    TEXT PRIMARY KEY,
    token_sealed TEXT NOT NULL,
    token_key    TEXT NOT NULL,
    rest_url     TEXT NOT NULL,
    used_at      DATETIME NOT NULL
);

-- +goose Down
DROP TABLE bullhorn_sessions;
