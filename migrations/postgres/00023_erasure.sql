-- +goose Up
-- Erasure (webhooks/erase.go): an interview's events keep their row (ids,
-- type, revision, fingerprint: a redelivery stays a duplicate) but lose
-- their body, candidate name and recording URL; these say when and by whom.
-- The delivery worker reads erased_at with every load and never sends an
-- erased event. Nullable, no default: nothing is rewritten, and an event
-- never erased stores two NULL bits.
ALTER TABLE events ADD COLUMN erased_at TIMESTAMPTZ;
ALTER TABLE events ADD COLUMN erased_by TEXT;

-- +goose Down
ALTER TABLE events DROP COLUMN erased_by;
ALTER TABLE events DROP COLUMN erased_at;
