-- +goose Up
-- When a pending delivery's next attempt is due, written with each failed
-- attempt that will be retried (NULL otherwise), so support sees when the
-- next try comes without reading River's job rows.
ALTER TABLE deliveries ADD COLUMN next_attempt_at DATETIME;

-- +goose Down
ALTER TABLE deliveries DROP COLUMN next_attempt_at;
