-- +goose Up
-- Bullhorn REST sessions for endpoints whose auth_type is bullhorn: the API
-- user's name and password (sealed, context endpoint:<id>:bullhorn_password),
-- the loginInfo URL that discovers the user's data centre (empty: Bullhorn's
-- public one) and the redirect_uri registered with the OAuth client (empty:
-- none sent). The client id is oauth2_client_id and the client secret the
-- endpoint's sealed auth secret, as for oauth2.
ALTER TABLE endpoints ADD COLUMN bullhorn_username TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN bullhorn_password_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN bullhorn_password_set_at DATETIME;
ALTER TABLE endpoints ADD COLUMN bullhorn_login_info_url TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN bullhorn_redirect_uri TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE endpoints DROP COLUMN bullhorn_redirect_uri;
ALTER TABLE endpoints DROP COLUMN bullhorn_login_info_url;
ALTER TABLE endpoints DROP COLUMN bullhorn_password_set_at;
ALTER TABLE endpoints DROP COLUMN bullhorn_password_sealed;
ALTER TABLE endpoints DROP COLUMN bullhorn_username;
