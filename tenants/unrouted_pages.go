package tenants

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/static"
	ui "github.com/switchboard-gw/switchboard/views"
)

// UnroutedPages serves the Unrouted screen: held events grouped by
// sourceId, a shortcut to create the tenant that owns one, and "deliver
// held events" once a tenant does.
type UnroutedPages struct {
	store *Store
	held  HeldEvents
	meta  func(c *fiber.Ctx, title, active string) ui.Meta
}

// NewUnroutedPages returns the unrouted page handlers; meta builds a
// page's layout props for the request (main supplies it).
func NewUnroutedPages(store *Store, held HeldEvents, meta func(c *fiber.Ctx, title, active string) ui.Meta) *UnroutedPages {
	return &UnroutedPages{store: store, held: held, meta: meta}
}

// UnroutedRoutes mounts the pages on admin (the /admin group, behind the gate).
func UnroutedRoutes(admin fiber.Router, p *UnroutedPages) {
	admin.Get("/unrouted", p.handleUnrouted)
	admin.Post("/unrouted/:tenant/deliver", p.handleDeliver)
}

func (p *UnroutedPages) handleUnrouted(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	props := ui.Unrouted{Meta: p.meta(c, "Unrouted events", ui.NavUnrouted),
		CanEdit: auth.Can(c, auth.PermEditConfig), CanRetry: auth.Can(c, auth.PermRetry)}
	if n, err := strconv.Atoi(c.Query("delivered")); err == nil {
		props.Meta.Flashes = append(props.Meta.Flashes, ui.Flash{Kind: ui.FlashSuccess,
			Text: strconv.Itoa(n) + " held event(s) are on their way to the tenant."})
	}
	// A caller limited to some tenants sees the events held for their sourceIds only.
	scope := auth.Scope(c)
	props.Scoped = scope != nil
	groups, err := p.groups(c.UserContext(), scope)
	if err != nil {
		return err
	}
	props.Groups = groups
	return renderUnrouted(c, ui.UnroutedPage(props))
}

func (p *UnroutedPages) groups(ctx context.Context, scope []int64) ([]ui.UnroutedGroup, error) {
	gs, err := p.store.ListUnrouted(ctx, scope, 100)
	if err != nil {
		return nil, err
	}
	details, err := p.groupDetails(ctx, scope)
	if err != nil {
		return nil, err
	}
	out := make([]ui.UnroutedGroup, len(gs))
	for i, g := range gs {
		src := deref(g.SourceID)
		d := details[src]
		v := ui.UnroutedGroup{SourceID: src, Count: int(g.Count), First: unroutedTime(g.FirstSeen), Last: unroutedTime(g.LastSeen),
			EventTypes: strings.Join(d.types, ", "), Candidates: strings.Join(d.candidates, ", "),
			EventsURL: "/admin/events?" + url.Values{"kind": {"unrouted"}, "source_id": {src}}.Encode()}
		if src != "" {
			v.CreateTenantURL = "/admin/tenants/new?" + url.Values{"source_id": {src}}.Encode()
		}
		if g.TenantID != nil {
			t, err := p.store.FindTenant(ctx, *g.TenantID)
			if err != nil {
				return nil, err
			}
			v.Tenant = &ui.Link{Label: t.Name, URL: "/admin/tenants/" + strconv.FormatInt(t.ID, 10)}
			v.DeliverURL = "/admin/unrouted/" + strconv.FormatInt(t.ID, 10) + "/deliver"
		}
		out[i] = v
	}
	return out, nil
}

type groupDetail struct{ types, candidates []string }

// groupDetails lists, per sourceId, the event types and a few candidate
// names of the newest held events the caller with scope may see (enough
// to recognise the customer).
func (p *UnroutedPages) groupDetails(ctx context.Context, scope []int64) (map[string]*groupDetail, error) {
	var rows []struct {
		SourceID      *string
		EventType     string
		CandidateName string
	}
	err := ScopeEvents(p.store.db.WithContext(ctx).Table("events"), scope).Select("source_id, event_type, candidate_name").
		Where("tenant_id IS NULL").Order("id DESC").Limit(2000).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("unrouted details: %w", err)
	}
	out := map[string]*groupDetail{}
	for _, r := range rows {
		d := out[deref(r.SourceID)]
		if d == nil {
			d = &groupDetail{}
			out[deref(r.SourceID)] = d
		}
		d.types = appendDistinct(d.types, r.EventType, 10)
		if r.CandidateName != "" {
			d.candidates = appendDistinct(d.candidates, r.CandidateName, 3)
		}
	}
	return out, nil
}

func appendDistinct(list []string, s string, limit int) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	if len(list) >= limit {
		return list
	}
	return append(list, s)
}

func (p *UnroutedPages) handleDeliver(c *fiber.Ctx) error {
	pr, err := auth.Require(c, auth.PermRetry)
	if err != nil {
		return err
	}
	id, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	// Without an endpoint the events would be attached with nowhere to go, and
	// this button (which only offers unrouted events) would be gone for them.
	if _, err := p.store.FindTenant(c.UserContext(), id); err != nil {
		return err
	}
	eps, err := p.store.ListEndpoints(c.UserContext(), id)
	if err != nil {
		return err
	}
	if len(eps) == 0 {
		return problem.Conflict("this tenant has no endpoint yet: add one first, then deliver the held events")
	}
	n, err := p.store.DeliverHeld(c.UserContext(), p.held, id, false, time.Time{}, pr.Email)
	if err != nil {
		return err
	}
	if err := auditTenant(c, "unrouted.deliver_held", id, nil, fiber.Map{"events": n}); err != nil {
		return err
	}
	if c.Query("back") == "tenant" { // the button on the tenant's own page
		return c.Redirect(auth.Done(tenantURL(id), "held-delivered"), fiber.StatusSeeOther)
	}
	return c.Redirect("/admin/unrouted?delivered="+strconv.Itoa(n), fiber.StatusSeeOther)
}

func unroutedTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

// renderPage writes an HTML page with the admin UI's security headers.
func renderUnrouted(c *fiber.Ctx, page interface {
	Render(context.Context, io.Writer) error
}) error {
	for _, h := range static.SecurityHeaders() {
		c.Set(h[0], h[1])
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return page.Render(c.UserContext(), c.Response().BodyWriter())
}
