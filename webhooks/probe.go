package webhooks

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/tenants"
)

// DefaultProbeInterval is how often disabled endpoints' health probes run.
const DefaultProbeInterval = 5 * time.Minute

// probeTimeout bounds one probe request.
const probeTimeout = 10 * time.Second

// ProbeArgs is the periodic River job that probes disabled endpoints.
type ProbeArgs struct{}

// Kind implements river.JobArgs.
func (ProbeArgs) Kind() string { return "probe_endpoints" }

// ProbeWorker re-enables endpoints the engine disabled automatically (410,
// days of failures) once their optional health probe answers: a GET of the
// endpoint's probe_url (SSRF-guarded at dial, no redirects) with a 2xx
// answer enables it and redelivers what failed while it was down, like
// "deliveries enable-endpoint --redeliver". A probe URL with the origin
// (scheme, host, port) of the endpoint's URL gets the endpoint's static
// headers (but those describing a body: probeHeaders), auth (bearer,
// basic, header, OAuth2 token) and mTLS client certificate, as a delivery
// does; any other probe URL gets none of them, so nothing the receiver
// asked for (an API key in a static header) reaches another host.
// Endpoints disabled by hand (disabled_reason empty) are never probed.
type ProbeWorker struct {
	river.WorkerDefaults[ProbeArgs]
	db         *gorm.DB
	deliveries *Worker
	policy     RetryPolicy
	log        *slog.Logger
}

// NewProbeWorker returns the probe worker. deliveries is the delivery
// worker: probes dial through its guarded clients and borrow its keyring
// and OAuth2 token cache.
func NewProbeWorker(db *gorm.DB, deliveries *Worker, policy RetryPolicy, log *slog.Logger) *ProbeWorker {
	return &ProbeWorker{db: db, deliveries: deliveries, policy: policy, log: log}
}

// Work probes each automatically disabled endpoint once. A probe that
// fails leaves the endpoint disabled until the next run.
func (w *ProbeWorker) Work(ctx context.Context, _ *river.Job[ProbeArgs]) error {
	var eps []tenants.Endpoint
	err := w.db.WithContext(ctx).Where("enabled = ? AND disabled_reason <> '' AND probe_url <> ''", false).Order("id").Find(&eps).Error
	if err != nil {
		return fmt.Errorf("list endpoints to probe: %w", err)
	}
	if len(eps) == 0 {
		return nil
	}
	// The Service that redelivers needs this River client (it inserts jobs).
	svc := NewService(w.db, nil, river.ClientFromContext[*sql.Tx](ctx), w.policy, w.log)
	for i := range eps {
		ep := &eps[i]
		log := w.log.With("tenant_id", ep.TenantID, "endpoint_id", ep.ID)
		if err := w.probe(ctx, ep); err != nil {
			log.Info("Health probe failed; endpoint stays disabled.", "error", err)
			continue
		}
		n, err := svc.EnableEndpoint(ctx, nil, ep.ID, true)
		if err != nil {
			return fmt.Errorf("enable endpoint %d after its probe: %w", ep.ID, err)
		}
		log.Warn("Health probe succeeded; endpoint enabled again.", "redelivered", n)
	}
	return nil
}

// probe GETs ep's probe URL and wants a 2xx; credentials go only to the
// endpoint's own origin.
func (w *ProbeWorker) probe(ctx context.Context, ep *tenants.Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, client, err := w.probeRequest(ctx, ep)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	switch {
	case resp.StatusCode == http.StatusUnauthorized && ep.AuthType == tenants.AuthOAuth2:
		// A token the receiver no longer takes: the next probe or delivery fetches another.
		if _, tok, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok {
			w.deliveries.tokens.drop(ctx, ep.ID, tok)
		}
	case ep.AuthType == tenants.AuthBullhorn && req.Header.Get(bullhornTokenHeader) != "" &&
		(resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusTemporaryRedirect || resp.StatusCode == http.StatusPermanentRedirect):
		// The session ended, or lives at another data centre: the next
		// probe or delivery logs in again.
		w.deliveries.bullhorn.drop(ctx, req.Header.Get(bullhornTokenHeader))
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("probe answered %d", resp.StatusCode)
	}
	return nil
}

// probeRequest is ep's probe and the client that sends it. A bullhorn
// endpoint's probe under {{bullhorn.rest_url}} goes where its deliveries
// go: to the session's restUrl, with its BhRestToken and static headers.
// Any other probe carries static headers and auth only to the endpoint's
// own origin.
func (w *ProbeWorker) probeRequest(ctx context.Context, ep *tenants.Endpoint) (*http.Request, *http.Client, error) {
	if ep.AuthType == tenants.AuthBullhorn && tenants.IsBullhornURL(ep.ProbeURL) {
		session, target, err := w.deliveries.bullhornTarget(ctx, ep, ep.ProbeURL)
		if err != nil {
			return nil, nil, fmt.Errorf("probe session: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, nil, err
		}
		probeHeaders(req.Header, ep.Headers)
		req.Header.Set("User-Agent", w.deliveries.userAgent)
		req.Header.Set(bullhornTokenHeader, session.token)
		client, err := w.deliveries.clients.forEndpoint(ep)
		return req, client, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.ProbeURL, nil)
	if err != nil {
		return nil, nil, err
	}
	// In buildRequest's order: static headers, then ours, then auth.
	same := sameOrigin(ep.URL, ep.ProbeURL)
	if same {
		probeHeaders(req.Header, ep.Headers)
	}
	req.Header.Set("User-Agent", w.deliveries.userAgent)
	client := w.deliveries.clients.shared
	if same {
		if _, err := w.deliveries.setAuth(ctx, req, ep); err != nil {
			return nil, nil, fmt.Errorf("probe credentials: %w", err)
		}
		if client, err = w.deliveries.clients.forEndpoint(ep); err != nil {
			return nil, nil, err
		}
	}
	return req, client, nil
}

// probeHeaders copies the endpoint's static headers to a probe, except
// those describing a request body (Content-*): a GET probe has none, and a
// Content-Encoding or Content-Type the receiver reads would misstate it.
// Validation already refuses Content-Type and Content-Length; this also
// covers Content-Encoding, Content-Language, … and rows saved before it.
func probeHeaders(h http.Header, static map[string]string) {
	for k, v := range static {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "Content-") {
			continue
		}
		h.Set(k, v)
	}
}

// sameOrigin reports whether URLs a and b share scheme, host and port (a
// port left out is the scheme's default). Anything unparsable differs.
func sameOrigin(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil || ua.Host == "" {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && asciiEqualFold(ua.Hostname(), ub.Hostname()) && portOf(ua) == portOf(ub)
}

// asciiEqualFold compares host names as DNS does: ASCII letters without
// regard to case, every other byte exactly. strings.EqualFold folds Unicode
// too, and σ and ς fold together yet are two domains once the dialler
// turns them into punycode (xn--4xa, xn--3xa); here they differ.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
