-- +goose Up
-- Emails are unique, and found at sign-in, whatever their case. SQLite's
-- lower() folds only A to Z, so this index let "ÉLODIE@x.com" and
-- "élodie@x.com" be two accounts where PostgreSQL's lower() makes them one.
-- unicode_lower (database/lower.go; Switchboard registers it on every
-- connection it opens) folds like strings.ToLower, and auth.Store looks
-- users up with the same expression (database.Lower), so the index serves
-- those lookups. A database already holding two such accounts stops here:
-- rename or delete one of them, then migrate again. A tool that opens the
-- file without the function (the sqlite3 shell) can read users but not
-- write them.
DROP INDEX users_email_uq;
CREATE UNIQUE INDEX users_email_uq ON users (unicode_lower(email));

-- +goose Down
DROP INDEX users_email_uq;
CREATE UNIQUE INDEX users_email_uq ON users (lower(email));
