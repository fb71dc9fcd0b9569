package webhooks

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/static"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/views"
)

// PageMeta builds the layout props of a page for the request: the
// signed-in user, the CSRF token, the asset URLs (main supplies it).
type PageMeta func(c *fiber.Ctx, title, active string) views.Meta

// Pages serves support's admin screens: the dashboard, deliveries (list,
// detail, retry, replay) and inbound events. Reads need auth.PermRead and
// show only the caller's tenants; retry and replay need auth.PermRetry.
type Pages struct {
	store *Store
	svc   *Service
	meta  PageMeta
	now   func() time.Time
}

// NewPages returns the page handlers.
func NewPages(store *Store, svc *Service, meta PageMeta) *Pages {
	return &Pages{store: store, svc: svc, meta: meta, now: time.Now}
}

// PageRoutes mounts the pages on admin, the /admin group (already behind
// the auth gate).
func PageRoutes(admin fiber.Router, p *Pages) {
	admin.Get("/", p.handleDashboard)
	admin.Get("/deliveries", p.handleDeliveries)
	admin.Get("/deliveries.csv", p.handleDeliveriesCSV)
	admin.Get("/deliveries/:id", p.handleDelivery)
	admin.Post("/deliveries/bulk-retry", p.handleBulkRetry)
	admin.Post("/deliveries/test", p.handleTestSend)
	admin.Post("/deliveries/:id/retry", p.handleRetry)
	admin.Post("/deliveries/:id/replay", p.handleReplay)
	admin.Get("/events", p.handleEvents)
	admin.Get("/events/:id", p.handleEvent)
	admin.Get("/events/:id/erase", p.handleEventEraseConfirm)
	admin.Post("/events/:id/erase", p.handleEventErase)
}

// RenderPage writes an HTML page with the admin UI's security headers (the
// CSP first) and no caching: pages show live data.
func RenderPage(c *fiber.Ctx, status int, page templ.Component) error {
	for _, h := range static.SecurityHeaders() {
		c.Set(h[0], h[1])
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
	return page.Render(c.UserContext(), c.Response().BodyWriter())
}

// notices are the one-line results a redirect after a POST names with ?notice=.
var notices = map[string]views.Flash{
	"retried":  {Kind: views.FlashSuccess, Text: "Retry queued: a new round of attempts starts now."},
	"replayed": {Kind: views.FlashSuccess, Text: "Replay queued with the endpoint's current mapping."},
	"test":     {Kind: views.FlashSuccess, Text: "Test event queued: this page shows its attempts (reload to follow them)."},
	"erased":   {Kind: views.FlashSuccess, Text: "The interview's personal data was erased; its pending deliveries will never be sent."},
	"busy":     {Kind: views.FlashWarning, Text: "Nothing to do: the delivery is already on its way, or is not in a state that allows it."},
}

func (p *Pages) pageMeta(c *fiber.Ctx, title, active string) views.Meta {
	m := p.meta(c, title, active)
	if f, ok := notices[c.Query("notice")]; ok {
		m.Flashes = append(m.Flashes, f)
	}
	return m
}

// tenantNames names the tenants of the rows a page shows (and nothing
// more: loading every tenant's name per page view does not scale).
func (p *Pages) tenantNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	return tenants.TenantNames(ctx, p.store.db, ids)
}

func tenantLabel(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok && n != "" {
		return n
	}
	return "tenant " + strconv.FormatInt(id, 10)
}

func tenantURL(id int64) string { return "/admin/tenants/" + strconv.FormatInt(id, 10) }

// withQuery returns path with q encoded (keys sorted, so links are stable).
func withQuery(path string, q url.Values) string {
	if s := q.Encode(); s != "" {
		return path + "?" + s
	}
	return path
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

func formatLatency(d time.Duration, ok bool) string {
	switch {
	case !ok:
		return ""
	case d < time.Second:
		return formatMillis(d.Milliseconds())
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
	}
}

// formatMillis shows whole milliseconds; a loopback answer often takes
// less than one, which "0 ms" would misstate.
func formatMillis(ms int64) string {
	if ms < 1 {
		return "<1 ms"
	}
	return strconv.FormatInt(ms, 10) + " ms"
}

// eventTypeOptions lists the known event types, then the types Switchboard
// has received without knowing them (the ones endpoints may subscribe to),
// so support can filter by a type Boooply added after this build.
func (p *Pages) eventTypeOptions(ctx context.Context) ([]views.Option, error) {
	var out []views.Option
	var known []string
	for _, et := range EventTypes() {
		out = append(out, views.Option{Value: et.Name, Label: et.Name})
		known = append(known, et.Name)
	}
	received, err := tenants.NewStore(p.store.db).ReceivedUnknownTypes(ctx, known)
	if err != nil {
		return nil, err
	}
	for _, name := range received {
		out = append(out, views.Option{Value: name, Label: name})
	}
	return out, nil
}
