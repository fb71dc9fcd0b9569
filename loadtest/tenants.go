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

// Tenant creation through the target's API: how many requests at once, by
// default and at most (SQLite serialises the writes, so more only queue).
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

// tenantCreateBody is POST /api/v1/tenants with the tenant's one endpoint.
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
// concurrency requests at a time, each with one endpoint at endpointURL(i)
// that the server gives a signing secret as it gives any endpoint. It
// returns each endpoint's signing key (index i is tenant i), so the
// receivers can verify what they get. The first tenant is created alone:
// a refused token or a refused loopback URL fails once, with what to do,
// before any other request is sent. Each write refreshes the server's
// routing cache, so the tenants route at once.
func CreateTenants(ctx context.Context, api API, runID string, n, concurrency int, endpointURL func(int) string) ([][]byte, error) {
	c := &tenantCreator{api: api, runID: runID, endpointURL: endpointURL, keys: make([][]byte, n),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: MaxCreateConcurrency}}}
	defer c.client.CloseIdleConnections()
	if n == 0 {
		return c.keys, nil
	}
	if err := c.create(ctx, 0); err != nil {
		return nil, err
	}
	return c.keys, c.createRest(ctx, n, max(1, min(concurrency, MaxCreateConcurrency)))
}

// tenantCreator holds what the concurrent creations share.
type tenantCreator struct {
	api         API
	runID       string
	endpointURL func(int) string
	client      *http.Client
	keys        [][]byte
}

// createRest creates tenants 1..n-1 with workers goroutines; the first
// error stops the others.
func (c *tenantCreator) createRest(ctx context.Context, n, workers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	next.Store(1)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if err := c.create(ctx, i); err != nil {
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

// create creates tenant i and keeps its endpoint's signing key.
func (c *tenantCreator) create(ctx context.Context, i int) error {
	body, _ := json.Marshal(tenantCreateBody{Name: fmt.Sprintf("Load test %s #%d", c.runID, i), SourceID: SourceID(c.runID, i),
		Endpoints: []endpointInput{{URL: c.endpointURL(i)}}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api.URL+"/api/v1/tenants", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.api.Token)
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("loadtest: create tenant %d: %w", i, err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("loadtest: create tenant %d: read answer: %w", i, err)
	}
	if res.StatusCode != http.StatusCreated {
		return createError(i, res.StatusCode, answer)
	}
	var t tenantCreated
	if err := json.Unmarshal(answer, &t); err != nil || len(t.Endpoints) != 1 {
		return fmt.Errorf("loadtest: create tenant %d: unexpected answer (%d endpoints, %v)", i, len(t.Endpoints), err)
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

// createError turns a refused creation into what the operator must change.
// The answer is the API's problem JSON; the token is never part of it.
func createError(i, status int, answer []byte) error {
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
	return fmt.Errorf("loadtest: create tenant %d: %d %s", i, status, msg)
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
