-- +goose Up
-- Browser sessions ended by signing out (auth.Service.EndSession): a JWT
-- whose sid is listed here is refused until expires_at, the latest moment
-- the session could still have been renewed to. Expired rows are deleted
-- when the next session ends.
CREATE TABLE revoked_sessions (
    sid        TEXT        PRIMARY KEY,
    expires_at DATETIME    NOT NULL
);
CREATE INDEX revoked_sessions_expires_idx ON revoked_sessions (expires_at);

-- +goose Down
DROP TABLE revoked_sessions;
