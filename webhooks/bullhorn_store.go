package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboard-gw/switchboard/secrets"
)

// bullhornTouchEvery is how stale a stored session's used_at may grow
// before a process that uses it writes it again: often enough that a
// replica whose own copy went idle sees that another kept it alive
// (bullhornSessionIdle leaves two minutes to Bullhorn's ten), rarely
// enough to cost nothing per delivery.
const bullhornTouchEvery = time.Minute

// bullhornRowsKept is how long a session nobody uses stays stored: past
// it, Bullhorn has ended it long ago; the next login deletes it.
const bullhornRowsKept = time.Hour

// bullhornStore keeps Bullhorn REST sessions in the database, the token
// sealed, so that every replica uses the session one of them opened: one
// login and one session against Bullhorn's cap per corporation, however
// many replicas deliver. A failing database only costs a login: every
// method here is best effort, and a delivery never fails because of it.
type bullhornStore struct {
	db      *gorm.DB
	keyring *secrets.Keyring
	// salt keys the fingerprints of logins and tokens: derived from the
	// secret key, so replicas agree and the table holds no plain hash of
	// a password or token.
	salt []byte
}

// bullhornSessionRow is one stored session (migration 00024).
type bullhornSessionRow struct {
	LoginKey    string `gorm:"primaryKey"`
	TokenSealed string
	TokenKey    string
	RestURL     string
	UsedAt      time.Time
}

// TableName is the table of shared Bullhorn sessions.
func (bullhornSessionRow) TableName() string { return "bullhorn_sessions" }

func newBullhornStore(db *gorm.DB, keyring *secrets.Keyring) *bullhornStore {
	return &bullhornStore{db: db, keyring: keyring, salt: keyring.Derive("switchboard bullhorn session fingerprints", 32)}
}

// fingerprint is the keyed hash of b, in hex.
func (st *bullhornStore) fingerprint(kind string, b []byte) string {
	return keyedFingerprint(st.salt, kind, b)
}

// keyedFingerprint is HMAC-SHA256 under salt of kind and b, in hex: kind
// keeps a login's fingerprint from ever equalling a token's.
func keyedFingerprint(salt []byte, kind string, b []byte) string {
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(kind))
	mac.Write([]byte{0})
	mac.Write(b)
	return hex.EncodeToString(mac.Sum(nil))
}

func bullhornTokenContext(loginKey string) string { return "bullhorn_session:" + loginKey }

// load returns the stored session of loginKey if some replica used it
// within bullhornSessionIdle, else nil.
func (st *bullhornStore) load(ctx context.Context, loginKey string, now time.Time) *bullhornSession {
	var row bullhornSessionRow
	err := st.db.WithContext(ctx).Where("login_key = ?", loginKey).Take(&row).Error
	if err != nil || now.Sub(row.UsedAt) >= bullhornSessionIdle {
		return nil // none, idle, or the database is away: log in
	}
	token, err := st.keyring.Open(row.TokenSealed, bullhornTokenContext(loginKey))
	if err != nil {
		return nil // sealed under a key since retired: log in
	}
	return &bullhornSession{token: string(token), restURL: row.RestURL, storedUsed: row.UsedAt}
}

// save stores s as loginKey's session, replacing the one before, and
// deletes sessions nobody used for bullhornRowsKept.
func (st *bullhornStore) save(ctx context.Context, loginKey string, s *bullhornSession, now time.Time) {
	sealed, err := st.keyring.Seal([]byte(s.token), bullhornTokenContext(loginKey))
	if err != nil {
		return
	}
	db := st.db.WithContext(ctx)
	row := bullhornSessionRow{LoginKey: loginKey, TokenSealed: sealed, TokenKey: st.fingerprint("token", []byte(s.token)),
		RestURL: s.restURL, UsedAt: now.UTC()}
	err = db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "login_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"token_sealed", "token_key", "rest_url", "used_at"})}).Create(&row).Error
	if err == nil {
		s.storedUsed = now
	}
	db.Where("used_at < ?", now.Add(-bullhornRowsKept).UTC()).Delete(&bullhornSessionRow{})
}

// touch records that s was used now, at most once per bullhornTouchEvery,
// if the row still holds s (another replica may have replaced it).
func (st *bullhornStore) touch(ctx context.Context, loginKey string, s *bullhornSession, now time.Time) {
	if now.Sub(s.storedUsed) < bullhornTouchEvery {
		return
	}
	s.storedUsed = now // once per interval even when the write fails
	st.db.WithContext(ctx).Model(&bullhornSessionRow{}).
		Where("login_key = ? AND token_key = ?", loginKey, st.fingerprint("token", []byte(s.token))).
		Update("used_at", now.UTC())
}

// forget deletes loginKey's session if it is still token, the one
// Bullhorn refused; a session another replica stored since is kept.
func (st *bullhornStore) forget(ctx context.Context, loginKey, token string) {
	// Best effort: a row left behind costs its next user one more 401.
	st.db.WithContext(ctx).Where("login_key = ? AND token_key = ?", loginKey, st.fingerprint("token", []byte(token))).
		Delete(&bullhornSessionRow{})
}

// bullhornStoreFor is the store of a worker on db, or nil without a
// database or keyring (sessions are then this process's only).
func bullhornStoreFor(db *gorm.DB, keyring *secrets.Keyring) *bullhornStore {
	if db == nil || keyring == nil {
		return nil
	}
	return newBullhornStore(db, keyring)
}
