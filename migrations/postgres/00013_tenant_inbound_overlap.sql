-- +goose Up
-- A tenant's own inbound secret rotates like a source's: the previous one
-- (sealed under "tenant:<id>:inbound_prev") keeps verifying until
-- previous_inbound_expires_at, so switching Boooply over rejects nothing.
ALTER TABLE tenants ADD COLUMN previous_inbound_secret_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN previous_inbound_expires_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE tenants DROP COLUMN previous_inbound_expires_at;
ALTER TABLE tenants DROP COLUMN previous_inbound_secret_sealed;
