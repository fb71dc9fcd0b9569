-- +goose Up
-- Large columns (event bodies, mapped bodies, response bodies) are TOASTed
-- and compressed by PostgreSQL. Its default, pglz, was the largest single
-- cost of PostgreSQL's CPU under load (about a fifth, measured with perf at
-- 800 events/s of 11.7 KB); lz4 compresses several times faster at a
-- similar ratio for JSON. Rows already stored keep pglz (both decompress
-- transparently). A server built without lz4 keeps pglz: nothing else
-- depends on the method.
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE events ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE deliveries ALTER COLUMN mapped_body SET COMPRESSION lz4;
    ALTER TABLE attempts ALTER COLUMN response_body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available on this server; bodies stay pglz-compressed';
END $$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE events ALTER COLUMN body SET COMPRESSION default;
ALTER TABLE deliveries ALTER COLUMN mapped_body SET COMPRESSION default;
ALTER TABLE attempts ALTER COLUMN response_body SET COMPRESSION default;
