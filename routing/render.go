package routing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/tenants"
)

// RenderInput is what a mapping needs to shape one delivery's payload.
type RenderInput struct {
	TenantID    int64
	EndpointID  int64
	EventType   string
	MeetingCode string
	Revision    int
	Body        []byte // the inbound body, byte-exact
	// RecordingLink is Switchboard's stable, revocable link to an
	// interview.recording event's video ("" when none: other events, or a
	// tenant without a stored Boooply key). Mappings read it as
	// meta.recording_link (rules) or $meta.recording_link (jq); the worker fills it from
	// webhooks.RecordingLinks.URLFor.
	RecordingLink string
	// VideoURLExpiresAt is when a recording's pre-signed videoUrl stops
	// working (nil: not a recording, or unknown), so a mapping can tell the
	// ATS; meta.video_url_expires_at, RFC 3339 in UTC.
	VideoURLExpiresAt *time.Time
}

// Rendered is what a delivery sends: the mapped body, the final URL (after
// any templating with correlation ids) and the mapping version that
// produced it (nil for passthrough).
type Rendered struct {
	Body             []byte
	URL              string
	MappingVersionID *int64
}

// Mapper shapes payloads with each endpoint's mapping. Compiled mappings
// are cached by version id: a version never changes, and a save makes a new
// id, so an edit takes effect on the next render without invalidation.
type Mapper struct {
	db    *gorm.DB
	mu    sync.RWMutex
	cache map[int64]*Compiled
}

// maxCached bounds the compiled-mapping cache; past it the cache restarts
// empty (versions recompile in microseconds to a few milliseconds).
const maxCached = 10000

// NewMapper returns a mapper reading mappings from db.
func NewMapper(db *gorm.DB) *Mapper { return &Mapper{db: db, cache: map[int64]*Compiled{}} }

// Render maps in for endpoint ep with the endpoint's current mapping
// version and fills the endpoint URL's placeholders. Without a mapping the
// body passes through unchanged. Mappings are validated when saved, so an
// error here is a property of this event: a *RuleError (which rule, why), a
// jq failure, or a *CorrelationMissingError when the vendor has not yet
// written the correlation value the mapping or URL needs.
func (m *Mapper) Render(ctx context.Context, ep tenants.Endpoint, in RenderInput) (Rendered, error) {
	var ids []int64
	err := m.db.WithContext(ctx).Model(&MappingVersion{}).Where("endpoint_id = ?", ep.ID).
		Order("number DESC").Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return Rendered{}, fmt.Errorf("current mapping of endpoint %d: %w", ep.ID, err)
	}
	var current *int64
	if len(ids) == 1 {
		current = &ids[0]
	}
	return m.RenderVersion(ctx, ep, current, in)
}

// CurrentVersionSQL is a scalar subquery for the current mapping version id
// of the endpoint whose id is the SQL expression endpointID (NULL: no
// mapping), for callers that read it in their own query and then call
// RenderVersion, saving Render's lookup.
func CurrentVersionSQL(endpointID string) string {
	return "(SELECT mv.id FROM mapping_versions mv WHERE mv.endpoint_id = " + endpointID + " ORDER BY mv.number DESC LIMIT 1)"
}

// RenderVersion is Render with the endpoint's current mapping version
// already known (nil: none, the body passes through).
func (m *Mapper) RenderVersion(ctx context.Context, ep tenants.Endpoint, current *int64, in RenderInput) (Rendered, error) {
	var c *Compiled
	var err error
	out := Rendered{URL: ep.URL}
	if current != nil {
		id := *current
		if c, err = m.compiled(ctx, id); err != nil {
			return Rendered{}, err
		}
		out.MappingVersionID = &id
	}
	var corr map[string]string
	if (c != nil && c.UsesCorrelation()) || strings.Contains(ep.URL, "{{"+rootCorrelation+".") {
		rec, err := findCorrelation(ctx, m.db, in.TenantID, in.MeetingCode)
		if err == nil {
			corr = rec.Attributes
		} else if _, ok := problem.As(err); !ok {
			return Rendered{}, err
		}
	}
	return renderWith(ctx, c, ep.URL, in, corr, out)
}

// renderWith applies c (nil: passthrough) and the URL template; preview uses it too.
func renderWith(ctx context.Context, c *Compiled, rawURL string, in RenderInput, corr map[string]string, out Rendered) (Rendered, error) {
	out.Body = in.Body
	if c != nil {
		b, err := c.Apply(ctx, in, corr)
		if err != nil {
			return Rendered{}, err
		}
		out.Body = b
	}
	if HasURLTemplate(rawURL) {
		body, err := decodeOrdered(in.Body)
		if err != nil {
			return Rendered{}, fmt.Errorf("event body is not JSON: %w", err)
		}
		e := &env{body: body, meta: metaObject(in), meetingCode: in.MeetingCode}
		if corr != nil {
			e.correlation = newObject()
			for _, k := range sortedKeys(corr) {
				e.correlation.set(k, corr[k])
			}
		}
		if out.URL, err = renderURL(rawURL, e); err != nil {
			return Rendered{}, err
		}
	}
	return out, nil
}

// compiled returns version id compiled, from the cache when it can.
func (m *Mapper) compiled(ctx context.Context, id int64) (*Compiled, error) {
	m.mu.RLock()
	c, ok := m.cache[id]
	m.mu.RUnlock()
	if ok {
		return c, nil
	}
	var v MappingVersion
	if err := m.db.WithContext(ctx).Where("id = ?", id).First(&v).Error; err != nil {
		return nil, fmt.Errorf("load mapping version %d: %w", id, err)
	}
	spec, err := v.Mapping()
	if err != nil {
		return nil, err
	}
	if c, err = Compile(spec); err != nil {
		return nil, fmt.Errorf("mapping version %d no longer compiles: %w", id, err)
	}
	m.mu.Lock()
	if len(m.cache) >= maxCached {
		m.cache = map[int64]*Compiled{}
	}
	m.cache[id] = c
	m.mu.Unlock()
	return c, nil
}

// IsCorrelationMissing reports whether err is a render waiting for a
// correlation record: the delivery worker should retry it later (bounded)
// rather than fail it at once, since the vendor may write the record after
// the event arrived.
func IsCorrelationMissing(err error) bool {
	var ce *CorrelationMissingError
	return errors.As(err, &ce)
}
