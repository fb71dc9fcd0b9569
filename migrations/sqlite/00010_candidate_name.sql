-- +goose Up
-- The deliveries and events screens filter by candidate name: data.candidateName
-- is copied out of the body at ingest into a plain column (the body stays
-- byte-exact). Existing rows are backfilled; a body that is not valid JSON
-- (or was purged by retention) keeps ''.
ALTER TABLE events ADD COLUMN candidate_name TEXT NOT NULL DEFAULT '';

UPDATE events SET candidate_name = COALESCE(json_extract(CAST(body AS TEXT), '$.data.candidateName'), '')
WHERE length(body) > 0 AND json_valid(CAST(body AS TEXT)) AND json_type(CAST(body AS TEXT), '$.data.candidateName') = 'text';

-- No index: the screens search by part of a name (LIKE '%…%'), which a
-- B-tree can't serve; the query scans this narrow column instead. A trigram
-- index (pg_trgm) is the next step if that gets slow.

-- +goose Down
ALTER TABLE events DROP COLUMN candidate_name;
