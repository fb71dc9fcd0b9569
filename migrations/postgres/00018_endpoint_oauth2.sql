-- +goose Up
-- OAuth2 client credentials (RFC 6749 §4.4) for endpoints whose auth_type
-- is oauth2: the token endpoint, the client id, the scopes asked for (a
-- JSON list), extra token request parameters (a JSON object, e.g. Greenhouse
-- Harvest v3's "sub") and how the client authenticates to the token
-- endpoint (basic: HTTP Basic; body: client_id and client_secret in the
-- form). The client secret is the endpoint's sealed auth secret
-- (auth_secret_sealed, context endpoint:<id>:auth), so no new sealed column.
ALTER TABLE endpoints ADD COLUMN oauth2_token_url TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN oauth2_client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE endpoints ADD COLUMN oauth2_scopes TEXT NOT NULL DEFAULT '[]';
ALTER TABLE endpoints ADD COLUMN oauth2_params TEXT NOT NULL DEFAULT '{}';
ALTER TABLE endpoints ADD COLUMN oauth2_client_auth TEXT NOT NULL DEFAULT 'basic';

-- +goose Down
ALTER TABLE endpoints DROP COLUMN oauth2_client_auth;
ALTER TABLE endpoints DROP COLUMN oauth2_params;
ALTER TABLE endpoints DROP COLUMN oauth2_scopes;
ALTER TABLE endpoints DROP COLUMN oauth2_client_id;
ALTER TABLE endpoints DROP COLUMN oauth2_token_url;
