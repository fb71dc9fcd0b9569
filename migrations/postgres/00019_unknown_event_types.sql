-- +goose NO TRANSACTION
-- +goose Up
-- An endpoint may subscribe to an event type Switchboard doesn't know yet
-- once it has received one (issue 3): saving an endpoint asks whether such
-- an event is stored, and the endpoint form lists the received ones. The
-- index is partial: only events of types other than the five known when it
-- was written get an entry, so ingest of those five writes nothing more.
-- tenants.unknownTypeClause repeats the condition word for word (a partial
-- index serves only queries that state its condition). Built CONCURRENTLY:
-- events keeps taking writes.

-- A build interrupted earlier leaves an INVALID index that IF NOT EXISTS
-- would keep: drop it and build again.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE i.indrelid = 'events'::regclass AND NOT i.indisvalid AND c.relname = 'events_unknown_type_idx') THEN
        DROP INDEX events_unknown_type_idx;
    END IF;
END $$;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_unknown_type_idx ON events (event_type)
    WHERE event_type NOT IN ('interview.transcript', 'interview.evaluation', 'interview.scores',
        'interview.recording', 'interview.interviewer_evaluation');

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS events_unknown_type_idx;
