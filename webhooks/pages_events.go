package webhooks

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

var eventKinds = []views.Option{
	{Value: "duplicates", Label: "Redelivered (duplicates)"},
	{Value: "revisions", Label: "Re-fired (later revisions)"},
	{Value: "unrouted", Label: "Unrouted"},
}

func (p *Pages) handleEvents(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	vf := views.EventFilter{EventType: c.Query("event"), MeetingCode: strings.TrimSpace(c.Query("meeting_code")),
		SourceID: strings.TrimSpace(c.Query("source_id")), Kind: c.Query("kind"), Candidate: strings.TrimSpace(c.Query("candidate")),
		Scoped: auth.Scope(c) != nil}
	f := EventFilter{Scope: auth.Scope(c), EventType: vf.EventType, MeetingCode: vf.MeetingCode, SourceID: vf.SourceID, Limit: 50,
		Candidate:  vf.Candidate,
		Duplicates: vf.Kind == "duplicates", Revisions: vf.Kind == "revisions", Unrouted: vf.Kind == "unrouted"}
	if n, err := strconv.ParseInt(c.Query("after"), 10, 64); err == nil && n > 0 {
		f.After = n
	}
	if err := p.revisionsOf(c, &f, &vf); err != nil {
		return err
	}
	evs, next, err := p.store.ListEvents(c.UserContext(), f)
	if err != nil {
		return err
	}
	names, err := p.tenantNames(c.UserContext(), eventTenantIDs(evs))
	if err != nil {
		return err
	}
	latest, err := p.latestRevisions(c.UserContext(), evs)
	if err != nil {
		return err
	}
	types, err := p.eventTypeOptions(c.UserContext())
	if err != nil {
		return err
	}
	props := views.EventList{Meta: p.pageMeta(c, "Events", views.NavEvents), ListURL: "/admin/events", Filter: vf,
		EventTypes: types, Kinds: eventKinds}
	for _, e := range evs {
		props.Rows = append(props.Rows, eventRowProps(e, names, latest[chainKey(ChainOf(e))]))
	}
	props.Pager = listPager(c, "/admin/events", "event-table", len(evs), f.After, next)
	return RenderPage(c, fiber.StatusOK, views.EventsPage(props))
}

// eventTenantIDs are the tenants of the routed events on the page.
func eventTenantIDs(evs []Event) []int64 {
	ids := make([]int64, 0, len(evs))
	for _, e := range evs {
		if e.TenantID != nil {
			ids = append(ids, *e.TenantID)
		}
	}
	return ids
}

func eventRowProps(e Event, names map[int64]string, latest int) views.EventRow {
	r := views.EventRow{ID: strconv.FormatInt(e.ID, 10), Received: formatTime(e.ReceivedAt), EventType: e.EventType,
		MeetingCode: e.MeetingCode, Candidate: e.CandidateName, Erased: e.ErasedAt != nil, Revision: e.Revision, Duplicates: e.Duplicates,
		Conflicts: max(latest-e.Revision, 0)}
	if e.SourceID != nil {
		r.SourceID = *e.SourceID
	}
	if e.TenantID != nil {
		r.Tenant = &views.Link{Label: tenantLabel(names, *e.TenantID), URL: tenantURL(*e.TenantID)}
		r.DeliveriesURL = eventDeliveriesURL(e)
	}
	return r
}

// eventDeliveriesURL lists the deliveries of a routed event's meetingCode
// and type at its tenant: another tenant's events of that meetingCode have
// their own.
func eventDeliveriesURL(e Event) string {
	return withQuery("/admin/deliveries", url.Values{"tenant": {strconv.FormatInt(*e.TenantID, 10)},
		"meeting_code": {e.MeetingCode}, "event": {e.EventType}})
}

// revisionsOf narrows f to the revisions of the event ?revisions_of names
// (its source, meetingCode and type), shown in the form's fields. An event
// outside the caller's scope is not found, as on its own page.
func (p *Pages) revisionsOf(c *fiber.Ctx, f *EventFilter, vf *views.EventFilter) error {
	raw := c.Query("revisions_of")
	if raw == "" {
		return nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return problem.Invalid("revisions_of", "must be an event id")
	}
	ev, err := p.store.FindEventInScope(c.UserContext(), f.Scope, id)
	if err != nil {
		return err
	}
	chain := ChainOf(*ev)
	f.RevisionsOf, f.MeetingCode, f.EventType, f.SourceID = &chain, ev.MeetingCode, ev.EventType, ""
	vf.RevisionsOf, vf.MeetingCode, vf.EventType, vf.SourceID = raw, ev.MeetingCode, ev.EventType, sourceKey(ev.SourceID)
	return nil
}

// chainKey is an EventChain as a map key.
func chainKey(c EventChain) string {
	return sourceKey(c.SourceID) + "\x00" + c.MeetingCode + "\x00" + c.EventType
}

// latestRevisions returns the highest revision of each event chain (source,
// meetingCode, type) on the page, keyed by chainKey, to count later revisions.
func (p *Pages) latestRevisions(ctx context.Context, evs []Event) (map[string]int, error) {
	out := map[string]int{}
	codes := make([]string, 0, len(evs))
	for _, e := range evs {
		codes = append(codes, e.MeetingCode)
	}
	if len(codes) == 0 {
		return out, nil
	}
	var rows []struct {
		Source, MeetingCode, EventType string
		Latest                         int
	}
	err := p.store.db.WithContext(ctx).Table("events").
		Select("COALESCE(source_id, '') AS source, meeting_code, event_type, MAX(revision) AS latest").
		Where("meeting_code IN ?", codes).Group("COALESCE(source_id, ''), meeting_code, event_type").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("latest revisions: %w", err)
	}
	for _, r := range rows {
		out[chainKey(EventChain{SourceID: &r.Source, MeetingCode: r.MeetingCode, EventType: r.EventType})] = r.Latest
	}
	return out, nil
}

// handleEvent shows one inbound event. Scoped users see only their tenants'
// events and the unrouted ones held for their tenants' sourceIds.
func (p *Pages) handleEvent(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	id, err := idParam(c, "id", "event")
	if err != nil {
		return err
	}
	ev, err := p.store.FindEventInScope(c.UserContext(), auth.Scope(c), id)
	if err != nil {
		return err
	}
	d := views.EventDetail{ID: strconv.FormatInt(ev.ID, 10), Received: formatTime(ev.ReceivedAt), EventType: ev.EventType,
		MeetingCode: ev.MeetingCode, Candidate: ev.CandidateName, Revision: ev.Revision, Duplicates: ev.Duplicates,
		RevisionsURL: withQuery("/admin/events", url.Values{"revisions_of": {strconv.FormatInt(ev.ID, 10)}}),
		PrettyEvent:  prettyJSON(ev.Body), RawEvent: string(ev.Body)}
	if len(ev.Body) == 0 {
		d.PrettyEvent, d.RawEvent = "(purged by retention)", "(purged by retention)"
	}
	if d.Erased = erasedNote(ev.ErasedAt, ev.ErasedBy); d.Erased != "" {
		d.PrettyEvent, d.RawEvent = "(erased "+d.Erased+")", "(erased "+d.Erased+")"
	} else if ev.TenantID != nil && auth.Can(c, auth.PermEditConfig) {
		d.EraseURL = "/admin/events/" + d.ID + "/erase"
	}
	if ev.SourceID != nil {
		d.SourceID = *ev.SourceID
	}
	d.VideoAPIURL, d.VideoURLExpires = recordingFacts(ev, p.now())
	if ev.TenantID != nil {
		names, err := p.tenantNames(c.UserContext(), []int64{*ev.TenantID})
		if err != nil {
			return err
		}
		d.Tenant = &views.Link{Label: tenantLabel(names, *ev.TenantID), URL: tenantURL(*ev.TenantID)}
		d.DeliveriesURL = eventDeliveriesURL(*ev)
	} else {
		d.UnroutedURL = "/admin/unrouted"
	}
	d.Meta = p.pageMeta(c, "Event #"+d.ID, views.NavEvents)
	return RenderPage(c, fiber.StatusOK, views.EventPage(d))
}

// recordingFacts formats what ingest stored of a recording event: the
// stable videoApiUrl and when videoUrl expires, so support can tell an ATS
// why its video link stopped working. Both are "" for other events.
func recordingFacts(ev *Event, now time.Time) (apiURL, expires string) {
	if ev.VideoAPIURL != nil {
		apiURL = *ev.VideoAPIURL
	}
	if ev.VideoURLExpiresAt != nil {
		expires = formatTime(*ev.VideoURLExpiresAt)
		if !now.Before(*ev.VideoURLExpiresAt) {
			expires += " (expired)"
		}
	}
	return apiURL, expires
}
