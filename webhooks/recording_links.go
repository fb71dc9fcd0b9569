package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
)

// DefaultBoooplyAPIBase is where videoApiUrl paths are sent: Boooply's docs
// name two hosts, so the host of the URL in the payload is not trusted.
const DefaultBoooplyAPIBase = "https://api.boooply.com"

// recordingLinkPrefix marks Switchboard's recording tokens.
const recordingLinkPrefix = "rl_"

// RecordingLink is a stable, revocable link Switchboard serves at
// /r/<token> for one recording event of a tenant whose Boooply
// organization key is stored. The token is the row id plus a MAC, so it is
// unguessable and needs no stored secret.
type RecordingLink struct {
	ID        int64
	EventID   int64
	TenantID  int64
	CreatedAt time.Time
	RevokedAt *time.Time
}

// createRecordingLink adds the link row of a recording event in the ingest
// transaction when its tenant can mint fresh URLs (has a Boooply key).
func createRecordingLink(tx *gorm.DB, ev Event, plan routing.Plan, now time.Time) error {
	if ev.EventType != eventRecording || ev.VideoAPIURL == nil || plan.Tenant == nil || plan.Tenant.BoooplyAPIKeySealed == "" {
		return nil
	}
	if err := tx.Create(&RecordingLink{EventID: ev.ID, TenantID: plan.Tenant.ID, CreatedAt: now}).Error; err != nil {
		return fmt.Errorf("insert recording link: %w", err)
	}
	return nil
}

// RecordingLinks mints and serves recording links.
type RecordingLinks struct {
	db        *gorm.DB
	keyring   *secrets.Keyring
	macKey    []byte
	publicURL string // e.g. https://switchboard.example.com, no trailing slash
	apiBase   *url.URL
	client    *http.Client
	now       func() time.Time
}

// NewRecordingLinks returns the service. publicURL is Switchboard's own
// external base URL (links are publicURL + "/r/<token>"); apiBase replaces
// the scheme and host of each videoApiUrl ("" is DefaultBoooplyAPIBase).
func NewRecordingLinks(db *gorm.DB, keyring *secrets.Keyring, publicURL, apiBase string, client *http.Client) (*RecordingLinks, error) {
	if apiBase == "" {
		apiBase = DefaultBoooplyAPIBase
	}
	base, err := url.Parse(apiBase)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("boooply api base %q: want an http(s) URL", apiBase)
	}
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &RecordingLinks{db: db, keyring: keyring, macKey: keyring.Derive("switchboard/recording-link/v1", 32),
		publicURL: strings.TrimRight(publicURL, "/"), apiBase: base, client: client, now: time.Now}, nil
}

// Token returns the unguessable token of link id.
func (r *RecordingLinks) Token(id int64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(id))
	copy(b[8:], r.mac(b[:8]))
	return recordingLinkPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func (r *RecordingLinks) mac(id []byte) []byte {
	m := hmac.New(sha256.New, r.macKey)
	m.Write(id)
	return m.Sum(nil)[:16]
}

// parseToken returns the link id of a genuine token.
func (r *RecordingLinks) parseToken(tok string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, recordingLinkPrefix))
	if err != nil || len(raw) != 24 || !strings.HasPrefix(tok, recordingLinkPrefix) {
		return 0, false
	}
	if !hmac.Equal(raw[8:], r.mac(raw[:8])) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(raw[:8])), true
}

// URLFor returns the public link of an event's recording, or "" when the
// event has none (not a recording, tenant without a Boooply key, revoked).
func (r *RecordingLinks) URLFor(ctx context.Context, eventID int64) (string, error) {
	var links []RecordingLink
	if err := r.db.WithContext(ctx).Where("event_id = ? AND revoked_at IS NULL", eventID).Limit(1).Find(&links).Error; err != nil {
		return "", fmt.Errorf("find recording link of event %d: %w", eventID, err)
	}
	if len(links) == 0 {
		return "", nil
	}
	return r.URLOf(links[0].ID), nil
}

// URLOf is the public link of recording link id. The delivery worker reads
// the event's link id with the delivery (load.go) and puts this in
// routing.RenderInput.RecordingLink.
func (r *RecordingLinks) URLOf(id int64) string {
	return r.publicURL + "/r/" + r.Token(id)
}

// Revoke disables link id for good (problem.NotFound when absent).
func (r *RecordingLinks) Revoke(ctx context.Context, id int64) error {
	res := r.db.WithContext(ctx).Model(&RecordingLink{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", r.now().UTC())
	if res.Error != nil {
		return fmt.Errorf("revoke recording link %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return problem.NotFound("recording link")
	}
	return nil
}

// Boooply API failures (the link itself is fine). Retrying cures neither
// errKeyRefused (the tenant's organization key is wrong or revoked: an
// admin must store a current one) nor errRecordingGone.
var (
	errUpstream      = errors.New("boooply api")
	errKeyRefused    = fmt.Errorf("%w: the organization API key was refused", errUpstream)
	errRecordingGone = fmt.Errorf("%w: the recording is gone", errUpstream)
)

// FreshURL resolves a token to a fresh download URL: it calls the event's
// videoApiUrl (moved onto the configured API base) with the tenant's
// organization key. Unknown, forged or revoked tokens are problem.NotFound.
func (r *RecordingLinks) FreshURL(ctx context.Context, token string) (string, error) {
	id, ok := r.parseToken(token)
	if !ok {
		return "", problem.NotFound("recording link")
	}
	var row struct {
		VideoAPIURL         *string
		TenantID            int64
		BoooplyAPIKeySealed string
	}
	err := r.db.WithContext(ctx).Raw(`SELECT e.video_api_url, l.tenant_id, t.boooply_api_key_sealed
		FROM recording_links l JOIN events e ON e.id = l.event_id JOIN tenants t ON t.id = l.tenant_id
		WHERE l.id = ? AND l.revoked_at IS NULL`, id).Scan(&row).Error
	if err != nil {
		return "", fmt.Errorf("load recording link %d: %w", id, err)
	}
	if row.VideoAPIURL == nil || row.BoooplyAPIKeySealed == "" {
		return "", problem.NotFound("recording link")
	}
	key, err := r.keyring.Open(row.BoooplyAPIKeySealed, TenantBoooplyKeyContext(row.TenantID))
	if err != nil {
		return "", fmt.Errorf("open boooply key of tenant %d: %w", row.TenantID, err)
	}
	target, err := r.fetch(ctx, *row.VideoAPIURL, string(key))
	if err != nil {
		return "", fmt.Errorf("tenant %d: %w", row.TenantID, err)
	}
	return target, nil
}

// fetch asks Boooply for a fresh pre-signed URL.
func (r *RecordingLinks) fetch(ctx context.Context, videoAPIURL, key string) (string, error) {
	target, err := r.rebase(videoAPIURL)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errUpstream, err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errUpstream, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "", errKeyRefused
	case http.StatusNotFound, http.StatusGone:
		return "", errRecordingGone
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("%w: answered %d", errUpstream, resp.StatusCode)
	}
	for _, path := range []string{"downloadUrl", "videoUrl", "url", "data.downloadUrl", "data.videoUrl", "data.url"} {
		if v := gjson.GetBytes(body, path); v.Type == gjson.String {
			if u, err := url.Parse(v.Str); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
				return v.Str, nil
			}
		}
	}
	return "", fmt.Errorf("%w: no download URL in the answer", errUpstream)
}

// rebase keeps videoApiUrl's path and query and puts them on the API base.
func (r *RecordingLinks) rebase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || !strings.HasPrefix(u.Path, "/api/") {
		return "", fmt.Errorf("%w: videoApiUrl %q is not an API path", errUpstream, raw)
	}
	out := *r.apiBase
	out.Path = strings.TrimRight(r.apiBase.Path, "/") + u.Path
	out.RawQuery = u.RawQuery
	return out.String(), nil
}
