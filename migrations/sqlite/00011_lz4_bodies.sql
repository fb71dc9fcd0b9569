-- +goose Up
-- PostgreSQL switches its body columns to lz4 compression here; SQLite
-- stores bodies uncompressed and has nothing to change. The version exists
-- so both dialects share one migration numbering.
SELECT 1;

-- +goose Down
SELECT 1;
