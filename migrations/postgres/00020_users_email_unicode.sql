-- +goose Up
-- SQLite's users_email_uq changes here from lower(email), which folds only
-- A to Z there, to unicode_lower(email). PostgreSQL's lower() already folds
-- every letter, so its index stays. The version exists so both dialects
-- share one migration numbering.
SELECT 1;

-- +goose Down
SELECT 1;
