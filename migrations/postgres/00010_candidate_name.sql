-- +goose Up
-- The deliveries and events screens filter by candidate name: data.candidateName
-- is copied out of the body at ingest into a plain column (the body stays
-- byte-exact). Existing rows are backfilled; a body that is not valid JSON
-- (or was purged by retention) keeps ''.
ALTER TABLE events ADD COLUMN candidate_name TEXT NOT NULL DEFAULT '';

-- +goose StatementBegin
DO $$
DECLARE r RECORD;
BEGIN
    FOR r IN SELECT id, body FROM events WHERE length(body) > 0 LOOP
        BEGIN
            UPDATE events SET candidate_name = COALESCE(name, '')
            FROM (SELECT CASE WHEN jsonb_typeof(j #> '{data,candidateName}') = 'string' THEN j #>> '{data,candidateName}' END AS name
                  FROM (SELECT convert_from(r.body, 'UTF8')::jsonb AS j) AS parsed) AS n
            WHERE id = r.id;
        EXCEPTION WHEN others THEN
            NULL; -- not JSON or not UTF-8: leave it empty
        END;
    END LOOP;
END $$;
-- +goose StatementEnd

-- No index: the screens search by part of a name (LIKE '%…%'), which a
-- B-tree can't serve; the query scans this narrow column instead. A trigram
-- index (pg_trgm) is the next step if that gets slow.

-- +goose Down
ALTER TABLE events DROP COLUMN candidate_name;
