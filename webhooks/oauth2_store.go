package webhooks

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/oauth2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboard-gw/switchboard/secrets"
)

// tokenStore keeps each oauth2 endpoint's access token in the database,
// sealed, so that every replica delivers with the token one of them
// fetched: one token request per endpoint and expiry, however many
// replicas deliver, and no replica's token revoked by another's request
// at token endpoints that keep one token per client. A failing database
// only costs a token request: every method here is best effort, and a
// delivery never fails because of it.
type tokenStore struct {
	db      *gorm.DB
	keyring *secrets.Keyring
	// salt keys the fingerprints of tokens, so a 401 can delete the row
	// that still holds the refused token without the table holding a
	// plain hash of it.
	salt []byte
}

// oauth2TokenRow is one endpoint's stored token (migration 00025).
type oauth2TokenRow struct {
	EndpointID  int64 `gorm:"primaryKey;autoIncrement:false"`
	AuthVersion string
	TokenSealed string
	TokenKey    string
	TokenType   string
	ExpiresAt   *time.Time // nil: the token endpoint gave no expiry
	FetchedAt   time.Time
}

// TableName is the table of shared OAuth2 access tokens.
func (oauth2TokenRow) TableName() string { return "oauth2_tokens" }

func tokenStoreFor(db *gorm.DB, keyring *secrets.Keyring) *tokenStore {
	if db == nil || keyring == nil {
		return nil // tokens are then this process's only
	}
	return &tokenStore{db: db, keyring: keyring, salt: keyring.Derive("switchboard oauth2 token fingerprints", 32)}
}

// oauth2TokenContext binds a sealed token to its endpoint and auth
// settings: a row copied to another endpoint does not open.
func oauth2TokenContext(endpointID int64, version string) string {
	return fmt.Sprintf("oauth2_token:%d:%s", endpointID, version)
}

func (st *tokenStore) tokenKey(accessToken string) string {
	return keyedFingerprint(st.salt, "oauth2 token", []byte(accessToken))
}

// load returns endpointID's stored token for these auth settings if it is
// still valid (tokenEarlyExpiry before its expiry), else nil.
func (st *tokenStore) load(ctx context.Context, endpointID int64, version string) *oauth2.Token {
	var row oauth2TokenRow
	err := st.db.WithContext(ctx).Where("endpoint_id = ? AND auth_version = ?", endpointID, version).Take(&row).Error
	if err != nil {
		return nil // none, another version, or the database is away: fetch
	}
	plain, err := st.keyring.Open(row.TokenSealed, oauth2TokenContext(endpointID, version))
	if err != nil {
		return nil // sealed under a key since retired: fetch
	}
	t := &oauth2.Token{AccessToken: string(plain), TokenType: row.TokenType}
	if row.ExpiresAt != nil {
		t.Expiry = *row.ExpiresAt
	}
	// Valid() then counts tokenEarlyExpiry, like a token fetched here.
	oauth2.ReuseTokenSourceWithExpiry(t, nil, tokenEarlyExpiry)
	if !t.Valid() {
		return nil
	}
	return t
}

// save stores t as endpointID's token for these auth settings, replacing
// whatever was there.
func (st *tokenStore) save(ctx context.Context, endpointID int64, version string, t *oauth2.Token, now time.Time) {
	sealed, err := st.keyring.Seal([]byte(t.AccessToken), oauth2TokenContext(endpointID, version))
	if err != nil {
		return
	}
	row := oauth2TokenRow{EndpointID: endpointID, AuthVersion: version, TokenSealed: sealed,
		TokenKey: st.tokenKey(t.AccessToken), TokenType: t.TokenType, FetchedAt: now.UTC()}
	if !t.Expiry.IsZero() {
		exp := t.Expiry.UTC()
		row.ExpiresAt = &exp
	}
	st.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "endpoint_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"auth_version", "token_sealed", "token_key", "token_type", "expires_at", "fetched_at"})}).
		Create(&row)
}

// forget deletes endpointID's token if it is still accessToken, the one a
// receiver refused; a token another replica stored since is kept.
func (st *tokenStore) forget(ctx context.Context, endpointID int64, accessToken string) {
	// Best effort: a row left behind costs its next user one more 401.
	st.db.WithContext(ctx).Where("endpoint_id = ? AND token_key = ?", endpointID, st.tokenKey(accessToken)).
		Delete(&oauth2TokenRow{})
}
