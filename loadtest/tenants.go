package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// Tenant creation through the target's API: how many requests (imports,
// or single creates against an older server) at once, by default and at
// most (SQLite serialises the writes, so more only queue).
const (
	DefaultCreateConcurrency = 8
	MaxCreateConcurrency     = 64
)

// API is the target's JSON API (/api/v1) as the load tool calls it.
type API struct {
	URL string // base URL of the target, without /api/v1
	// Token is an admin's Bearer credential: an sbt_ API token, or a JWT
	// from POST /api/v1/auth/token. It is never printed.
	Token string
}

// tenantCreateBody is POST /api/v1/tenants (and one item of an import) with the tenant's one endpoint.
type tenantCreateBody struct {
	Name      string          `json:"name"`
	SourceID  string          `json:"source_id"`
	Endpoints []endpointInput `json:"endpoints"`
}

type endpointInput struct {
	URL string `json:"url"`
}

// tenantCreated is the part of the answer the load tool keeps.
type tenantCreated struct {
	ID        int64 `json:"id"`
	Endpoints []struct {
		NewSigningSecret string `json:"new_signing_secret"`
	} `json:"endpoints"`
}

// CreateTenants creates n tenants of run runID through the target's API,
// each with one endpoint at endpointURL(i) that the server gives a signing
// secret as it gives any endpoint. It returns each endpoint's signing key
// (index i is tenant i), so the receivers can verify what they get.
//
// Tenants go ImportBatch at a time through POST /api/v1/tenants/import,
// concurrency calls at once; against an older server without that route
// (404 or 405) they are created one per call, concurrency at a time. The
// first tenant is created alone: a refused token or a refused loopback URL
// fails once, with what to do, before any other request is sent. Each
// write refreshes the server's routing cache, so the tenants route at once.
func CreateTenants(ctx context.Context, api API, runID string, n, concurrency int, endpointURL func(int) string) ([][]byte, error) {
	c := &tenantCreator{api: api, runID: runID, endpointURL: endpointURL, keys: make([][]byte, n),
		client: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: MaxCreateConcurrency}}}
	defer c.client.CloseIdleConnections()
	if n == 0 {
		return c.keys, nil
	}
	workers := max(1, min(concurrency, MaxCreateConcurrency))
	err := c.importRange(ctx, 0, 1)
	if errors.Is(err, errNoImport) {
		if err := c.create(ctx, 0); err != nil {
			return nil, err
		}
		return c.keys, parallel(ctx, n-1, workers, func(ctx context.Context, j int) error { return c.create(ctx, j+1) })
	}
	if err != nil {
		return nil, err
	}
	batches := (n - 1 + ImportBatch - 1) / ImportBatch
	return c.keys, parallel(ctx, batches, workers, func(ctx context.Context, j int) error {
		from := 1 + j*ImportBatch
		return c.importRange(ctx, from, min(from+ImportBatch, n))
	})
}

// tenantCreator holds what the concurrent creations share.
type tenantCreator struct {
	api         API
	runID       string
	endpointURL func(int) string
	client      *http.Client
	keys        [][]byte
}

// parallel runs do(0..jobs-1) on workers goroutines; the first error stops the others.
func parallel(ctx context.Context, jobs, workers int, do func(context.Context, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := int(next.Add(1) - 1); j < jobs && ctx.Err() == nil; j = int(next.Add(1) - 1) {
				if err := do(ctx, j); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// body is tenant i as the API takes it.
func (c *tenantCreator) body(i int) tenantCreateBody {
	return tenantCreateBody{Name: fmt.Sprintf("Load test %s #%d", c.runID, i), SourceID: SourceID(c.runID, i),
		Endpoints: []endpointInput{{URL: c.endpointURL(i)}}}
}

// post sends body to the API path and returns the status and the answer (at most limit bytes).
func (c *tenantCreator) post(ctx context.Context, path string, body any, limit int64) (int, []byte, error) {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api.URL+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.api.Token)
	res, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, limit))
	if err != nil {
		return 0, nil, fmt.Errorf("read answer: %w", err)
	}
	return res.StatusCode, answer, nil
}

// create creates tenant i and keeps its endpoint's signing key.
func (c *tenantCreator) create(ctx context.Context, i int) error {
	status, answer, err := c.post(ctx, "/api/v1/tenants", c.body(i), 1<<20)
	if err != nil {
		return fmt.Errorf("loadtest: create tenant %d: %w", i, err)
	}
	if status != http.StatusCreated {
		return createError(fmt.Sprintf("create tenant %d", i), status, answer)
	}
	var t tenantCreated
	if err := json.Unmarshal(answer, &t); err != nil {
		return fmt.Errorf("loadtest: create tenant %d: unexpected answer: %w", i, err)
	}
	return c.keep(i, t)
}

// ImportBatch is how many tenants one import call of the load tool carries.
const ImportBatch = 1000

// maxImportAnswer bounds the answer to one import (about 1 kB a tenant).
const maxImportAnswer = 64 << 20

// errNoImport: the target has no import route (an older server).
var errNoImport = errors.New("the target has no POST /api/v1/tenants/import")

// importRange creates tenants from..to-1 in one import call and keeps their keys.
func (c *tenantCreator) importRange(ctx context.Context, from, to int) error {
	var body struct {
		Tenants []tenantCreateBody `json:"tenants"`
	}
	for i := from; i < to; i++ {
		body.Tenants = append(body.Tenants, c.body(i))
	}
	what := fmt.Sprintf("import tenants %d to %d", from, to-1)
	if to-from == 1 {
		what = fmt.Sprintf("import tenant %d", from)
	}
	status, answer, err := c.post(ctx, "/api/v1/tenants/import", body, maxImportAnswer)
	switch {
	case err != nil:
		return fmt.Errorf("loadtest: %s: %w", what, err)
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return errNoImport
	case status != http.StatusCreated:
		return createError(what, status, answer)
	}
	var out struct {
		Tenants []tenantCreated `json:"tenants"`
	}
	if err := json.Unmarshal(answer, &out); err != nil || len(out.Tenants) != to-from {
		return fmt.Errorf("loadtest: %s: unexpected answer (%d tenants, %v)", what, len(out.Tenants), err)
	}
	for k, t := range out.Tenants {
		if err := c.keep(from+k, t); err != nil {
			return err
		}
	}
	return nil
}

// keep stores the signing key of tenant i's one endpoint.
func (c *tenantCreator) keep(i int, t tenantCreated) error {
	if len(t.Endpoints) != 1 {
		return fmt.Errorf("loadtest: tenant %d: unexpected answer (%d endpoints)", i, len(t.Endpoints))
	}
	key, err := webhooks.DecodeSigningSecret(t.Endpoints[0].NewSigningSecret)
	if err != nil {
		return fmt.Errorf("loadtest: tenant %d's endpoint: %w", i, err)
	}
	c.keys[i] = key
	return nil
}

// ErrPrivateEndpoints is returned when the target refuses the receivers'
// loopback URLs: it must be started to allow private endpoints.
var ErrPrivateEndpoints = errors.New("the target refuses loopback endpoint URLs; start it with SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS=true " +
	"(serve --allow-private-endpoints) so it can deliver to the load tool's receivers")

// createError turns a refused creation (what: "create tenant 3") into what
// the operator must change. The answer is the API's problem JSON; the token
// is never part of it.
func createError(what string, status int, answer []byte) error {
	var p problem.Error
	_ = json.Unmarshal(answer, &p)
	msg := p.Message
	if msg == "" {
		msg = strings.TrimSpace(string(answer[:min(len(answer), 200)]))
	}
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("loadtest: the target refused the API token (401: %s); give an admin's token with --api-token or SWITCHBOARD_LOADTEST_API_TOKEN", msg)
	case status == http.StatusForbidden:
		return fmt.Errorf("loadtest: the API token may not create tenants (403: %s); it must be an admin's", msg)
	case refusesLoopback(p):
		return fmt.Errorf("loadtest: %w (%s)", ErrPrivateEndpoints, msg)
	}
	return fmt.Errorf("loadtest: %s: %d %s", what, status, msg)
}

// refusesLoopback: the endpoint URL was refused for its address (egress
// CheckURL: "… (loopback), which is not allowed").
func refusesLoopback(p problem.Error) bool {
	for _, d := range p.Details {
		if strings.HasSuffix(d.Field, "url") && strings.Contains(d.Reason, "not allowed") &&
			(strings.Contains(d.Reason, "loopback") || strings.Contains(d.Reason, "private")) {
			return true
		}
	}
	return false
}
