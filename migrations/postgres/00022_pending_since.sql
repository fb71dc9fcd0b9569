-- +goose NO TRANSACTION
-- +goose Up
-- The age of the oldest pending delivery (switchboard_delivery_pending_oldest_age_seconds,
-- read every 15 s by each replica) is the first entry of this index, instead
-- of a walk over every pending delivery. A delivery's round starts when it is
-- created or manually retried (round_started_at). Partial: only pending
-- deliveries have an entry, so it stays the size of the backlog, and
-- webhooks.pendingOldestQuery repeats the condition and the expression word
-- for word (a partial expression index serves only such queries). Built
-- CONCURRENTLY: deliveries keeps taking writes.

-- A build interrupted earlier leaves an INVALID index that IF NOT EXISTS
-- would keep: drop it and build again.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = 'deliveries'::regclass AND NOT i.indisvalid AND c.relname = 'deliveries_pending_since_idx') THEN
        DROP INDEX deliveries_pending_since_idx;
    END IF;
END $$;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_pending_since_idx
    ON deliveries ((COALESCE(round_started_at, created_at))) WHERE status = 'pending';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_pending_since_idx;
