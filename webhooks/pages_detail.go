package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

func (p *Pages) handleDelivery(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	id, err := idParam(c, "id", "delivery")
	if err != nil {
		return err
	}
	ctx, scope := c.UserContext(), auth.Scope(c)
	d, err := p.store.FindDelivery(ctx, scope, id)
	if err != nil {
		return err
	}
	ev, err := p.store.FindEvent(ctx, d.EventID)
	if err != nil {
		return err
	}
	var extra struct {
		MappedBody []byte
		Number     *int
		TenantName string
	}
	err = p.store.db.WithContext(ctx).Table("deliveries").
		Select("deliveries.mapped_body, mapping_versions.number, tenants.name AS tenant_name").
		Joins("JOIN tenants ON tenants.id = deliveries.tenant_id").
		Joins("LEFT JOIN mapping_versions ON mapping_versions.id = deliveries.mapping_version_id").
		Where("deliveries.id = ?", id).Scan(&extra).Error
	if err != nil {
		return err
	}
	props := detailProps(d, ev, extra.MappedBody, extra.Number, extra.TenantName, auth.Can(c, auth.PermRetry))
	if props.Erased == "" && auth.Can(c, auth.PermEditConfig) {
		props.EraseURL = "/admin/events/" + strconv.FormatInt(d.EventID, 10) + "/erase"
	}
	if d.Status == DeliveryFailed {
		var lim endpointLimits
		if err := p.store.db.WithContext(ctx).Table("endpoints").Select("max_attempts, max_age_seconds, retry_client_errors, enabled, disabled_reason").
			Where("id = ?", d.EndpointID).Scan(&lim).Error; err != nil {
			return err
		}
		props.GaveUp = gaveUpReason(d, lim, p.svc.policy.MaxAttempts())
	}
	if d.Status == DeliveryPending {
		var h EndpointHealth
		if err := p.store.db.WithContext(ctx).Where("id = ?", d.EndpointID).Select("id, consecutive_failures, circuit_open_until").
			Take(&h).Error; err != nil {
			return fmt.Errorf("endpoint %d health: %w", d.EndpointID, err)
		}
		if s := heldByBreaker(d.NextAttemptAt, h, p.now()); s != "" {
			props.NextAttempt = s
		}
	}
	props.Meta = p.pageMeta(c, "Delivery #"+props.ID, views.NavDeliveries)
	return RenderPage(c, fiber.StatusOK, views.DeliveryPage(props))
}

func detailProps(d *DeliveryDetail, ev *Event, mapped []byte, version *int, tenant string, canRetry bool) views.DeliveryDetail {
	id := strconv.FormatInt(d.ID, 10)
	base := "/admin/deliveries/" + id
	p := views.DeliveryDetail{ID: id, Status: string(d.Status), Endpoint: d.EndpointURL, EventType: d.EventType,
		MeetingCode: d.MeetingCode, Candidate: d.Candidate, Revision: strconv.Itoa(d.Revision),
		Received: formatTime(ev.ReceivedAt), RawEvent: string(ev.Body), PrettyEvent: prettyJSON(ev.Body),
		Tenant:      views.Link{Label: tenant, URL: tenantURL(d.TenantID)},
		EndpointURL: tenantURL(d.TenantID) + "/endpoints/" + strconv.FormatInt(d.EndpointID, 10),
		Event:       views.Link{Label: "#" + strconv.FormatInt(d.EventID, 10) + " as received", URL: "/admin/events/" + strconv.FormatInt(d.EventID, 10)},
		CanRetry:    canRetry, MappingVersion: "passthrough (no mapping)"}
	switch {
	case len(mapped) > 0:
		p.MappedPayload = prettyJSON(mapped)
	case version == nil && mappingFailed(d.Attempts):
		// No mapped body because the mapping step failed, not because the
		// endpoint has no mapping: nothing was sent.
		p.MappingVersion = "not applied: the mapping step failed (see the attempts)"
		p.MappedPayload = "(nothing was sent: the mapping step failed)"
	case version == nil && d.Status == DeliveryPending && len(d.Attempts) == 0:
		p.MappingVersion = "applied when the first attempt starts"
		p.MappedPayload = "(nothing sent yet)"
	default:
		p.MappedPayload = prettyJSON(ev.Body)
	}
	if d.PayloadPurgedAt != nil {
		p.RawEvent, p.PrettyEvent, p.MappedPayload = "(purged by retention)", "(purged by retention)", "(purged by retention)"
	}
	if p.Erased = erasedNote(d.ErasedAt, d.ErasedBy); p.Erased != "" {
		gone := "(erased " + p.Erased + ")"
		p.RawEvent, p.PrettyEvent, p.MappedPayload = gone, gone, gone
	}
	if version != nil {
		p.MappingVersion = "v" + strconv.Itoa(*version)
		p.MappingURL = tenantURL(d.TenantID) + "/endpoints/" + strconv.FormatInt(d.EndpointID, 10) + "/mapping"
	}
	if d.Status == DeliveryPending {
		p.NextAttempt = "queued: a worker picks it up as soon as one is free"
		if d.NextAttemptAt != nil {
			p.NextAttempt = "due " + formatTime(*d.NextAttemptAt) + " (a retry after the last failed attempt)"
		}
	}
	if d.Status == DeliveryFailed && p.Erased == "" {
		p.RetryURL = base + "/retry"
	}
	if (d.Status == DeliveryDelivered || d.Status == DeliveryFailed) && d.PayloadPurgedAt == nil && p.Erased == "" {
		p.ReplayURL = base + "/replay" // a held delivery is sent on resume: no replay
	}
	if d.Status == DeliveryHeld {
		p.NextAttempt = "when the tenant is resumed: it is paused, so its deliveries are held, not sent"
	}
	for _, a := range d.Attempts {
		p.Attempts = append(p.Attempts, attemptProps(a))
	}
	return p
}

// heldByBreaker says when a pending delivery's next attempt really comes
// while its endpoint's circuit is open: the worker holds every delivery of
// the endpoint until then, whatever retry time the last failure set (or
// none, for one that never ran); "" when the circuit doesn't hold it.
func heldByBreaker(due *time.Time, h EndpointHealth, now time.Time) string {
	open := h.CircuitOpenUntil
	if open == nil || !open.After(now) || (due != nil && !open.After(*due)) {
		return ""
	}
	return "not before " + formatTime(*open) + ": the endpoint failed " + strconv.Itoa(h.ConsecutiveFailures) +
		" attempts in a row, so its circuit breaker holds its deliveries until then; one goes first as a probe"
}

// endpointLimits are the endpoint settings that end a round of retries.
type endpointLimits struct {
	MaxAttempts       int
	MaxAgeSeconds     int
	RetryClientErrors bool
	// Enabled is false for an endpoint switched off (by an admin, after
	// 410 Gone, or after failing too long: DisabledReason says which).
	Enabled        bool
	DisabledReason string
}

// gaveUpReason says why a failed delivery gets no more attempts, the way the
// worker decided it (Classify, then the attempt limit and max age of the
// current round); "" when the record doesn't tell.
func gaveUpReason(d *DeliveryDetail, lim endpointLimits, defaultAttempts int) string {
	if !lim.Enabled {
		// Whatever ended the round, a retry now fails at once, as support's
		// "Retry now" would show them the hard way.
		why := ""
		if lim.DisabledReason != "" {
			why = " (" + lim.DisabledReason + ")"
		}
		return "The endpoint is disabled" + why + ": every attempt fails until an admin enables it again on the endpoint's page. Retry after that."
	}
	if len(d.Attempts) == 0 {
		// Failed before any request: the last error is all the record says.
		switch {
		case d.LastError == ReasonTenantDisabled:
			return "The tenant is disabled: its events are recorded but never delivered. Retry after an admin makes it active again."
		case d.LastError != "":
			return "No request was made: " + d.LastError + "."
		}
		return ""
	}
	last := d.Attempts[len(d.Attempts)-1]
	switch last.ErrorClass {
	case "mapping", "config", "endpoint-disabled", "ssrf-blocked", "not-subscribed":
		return "This failure is not retried: it can't succeed until the configuration changes. Fix it, then retry."
	}
	if last.StatusCode != nil {
		if out := Classify(*last.StatusCode, nil, lim.RetryClientErrors); out.Kind == Gone {
			return "The endpoint answered 410 Gone, which means: stop sending. Switchboard disabled it."
		} else if out.Kind == Permanent && *last.StatusCode < 400 {
			return "HTTP " + strconv.Itoa(*last.StatusCode) + " is a redirect: redirects are never followed nor retried. Point the endpoint at the final URL."
		} else if out.Kind == Permanent {
			return "HTTP " + strconv.Itoa(*last.StatusCode) + " is not retried: the endpoint's \"retry 4xx\" setting is off."
		}
	}
	maxAttempts := lim.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = defaultAttempts
	}
	if d.Delivery.Attempts-d.RoundStartAttempts >= maxAttempts {
		return "All " + strconv.Itoa(maxAttempts) + " attempts the endpoint allows were used."
	}
	if lim.MaxAgeSeconds > 0 {
		// The age counts from the round's start: the event's arrival, or the
		// last manual retry, replay, resume or deliver-held.
		return "The endpoint's max age (" + (time.Duration(lim.MaxAgeSeconds) * time.Second).String() + ") ran out before it was delivered, counted from the event's arrival or from the last manual retry, replay, resume or deliver-held."
	}
	return ""
}

// mappingFailed: the last attempt stopped at the mapping step, before any
// request was made.
func mappingFailed(attempts []Attempt) bool {
	if len(attempts) == 0 {
		return false
	}
	class := attempts[len(attempts)-1].ErrorClass
	return class == "mapping" || class == "correlation-missing"
}

func attemptProps(a Attempt) views.Attempt {
	out := views.Attempt{Number: a.Number, Time: formatTime(a.StartedAt), Duration: formatMillis(int64(a.DurationMS)),
		Outcome: "failed", ErrorClass: a.ErrorClass, Error: a.Error, RequestHeaders: headerList(a.RequestHeaders),
		ResponseHeaders: headerList(a.ResponseHeaders), ResponseBody: a.ResponseBody}
	if a.StatusCode != nil {
		out.ResponseStatus = "HTTP " + strconv.Itoa(*a.StatusCode)
		if *a.StatusCode >= 200 && *a.StatusCode < 300 {
			out.Outcome = "delivered"
		}
	}
	return out
}

// headerList sorts recorded headers by name (they are stored redacted; the
// view masks sensitive names once more).
func headerList(m map[string]string) []views.Header {
	out := make([]views.Header, 0, len(m))
	for k, v := range m {
		out = append(out, views.Header{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func prettyJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

func (p *Pages) handleRetry(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	id, err := idParam(c, "id", "delivery")
	if err != nil {
		return err
	}
	err = p.svc.RetryDelivery(c.UserContext(), auth.Scope(c), id)
	if err == nil {
		err = auditAction(c, "delivery.retry", tenantOf(c.UserContext(), p.store.db, "deliveries", id), "delivery", id, nil)
	}
	// A retry from the list goes back to the same filtered page, so support
	// can work through the failures without losing their search.
	if back := c.Query("back"); err == nil && strings.HasPrefix(back, "/admin/deliveries") && auth.SafeNext(back) == back {
		return c.Redirect(auth.Done(back, "delivery-retried"), fiber.StatusSeeOther)
	}
	return afterAction(c, id, "retried", err)
}

func (p *Pages) handleReplay(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	id, err := idParam(c, "id", "delivery")
	if err != nil {
		return err
	}
	d, err := p.store.FindDelivery(c.UserContext(), auth.Scope(c), id)
	if err != nil {
		return err
	}
	did, err := p.svc.Replay(c.UserContext(), auth.Scope(c), d.EventID, d.EndpointID)
	if err == nil {
		id = did
		err = auditAction(c, "event.replay", d.TenantID, "event", d.EventID, fiber.Map{"endpoint_id": d.EndpointID, "delivery_id": did})
	}
	return afterAction(c, id, "replayed", err)
}

// afterAction redirects back to the delivery (303, so a reload doesn't
// post again) with a notice; a conflict (already pending) is a notice too.
func afterAction(c *fiber.Ctx, id int64, notice string, err error) error {
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Code == problem.CodeConflict {
		notice, err = "busy", nil
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/deliveries/"+strconv.FormatInt(id, 10)+"?notice="+notice, fiber.StatusSeeOther)
}

// handleTestSend sends a Boooply sample to one endpoint (the endpoint page's
// "Send test event") and shows the test delivery, like POST
// /api/v1/deliveries/test.
func (p *Pages) handleTestSend(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	tenantID, err := strconv.ParseInt(c.Query("tenant"), 10, 64)
	if err != nil || tenantID <= 0 {
		return problem.NotFound("tenant")
	}
	endpointID, err := strconv.ParseInt(c.Query("endpoint"), 10, 64)
	if err != nil || endpointID <= 0 {
		return problem.NotFound("endpoint")
	}
	et := c.FormValue("event_type", "interview.evaluation")
	did, err := p.svc.SendTest(c.UserContext(), auth.Scope(c), tenantID, endpointID, et)
	if err != nil {
		return err
	}
	if err := auditAction(c, "delivery.test", tenantID, "endpoint", endpointID, fiber.Map{"event_type": et, "delivery_id": did}); err != nil {
		return err
	}
	return c.Redirect("/admin/deliveries/"+strconv.FormatInt(did, 10)+"?notice=test", fiber.StatusSeeOther)
}
