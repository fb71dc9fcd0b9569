-- +goose Up
-- The age of the oldest pending delivery (switchboard_delivery_pending_oldest_age_seconds,
-- read every 15 s) is the first entry of this index, instead of a walk over
-- every pending delivery. A delivery's round starts when it is created or
-- manually retried (round_started_at). Partial: only pending deliveries have
-- an entry; webhooks.pendingOldestQuery repeats the condition and the
-- expression word for word (SQLite uses a partial expression index only for
-- a query that states both).
CREATE INDEX IF NOT EXISTS deliveries_pending_since_idx
    ON deliveries (COALESCE(round_started_at, created_at)) WHERE status = 'pending';

-- +goose Down
DROP INDEX IF EXISTS deliveries_pending_since_idx;
