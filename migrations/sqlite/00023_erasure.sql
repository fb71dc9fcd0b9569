-- +goose Up
-- Erasure (webhooks/erase.go): see the PostgreSQL migration of the same number.
ALTER TABLE events ADD COLUMN erased_at DATETIME;
ALTER TABLE events ADD COLUMN erased_by TEXT;

-- +goose Down
ALTER TABLE events DROP COLUMN erased_by;
ALTER TABLE events DROP COLUMN erased_at;
