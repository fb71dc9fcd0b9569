package tenants

import (
	"context"
	"strings"

	"github.com/switchboard-gw/switchboard/views"
)

// subscriptionOptions fills the form's event type checkboxes: "*", the
// known types, the types Switchboard has received without knowing them,
// and any other name the endpoint subscribes to (its events may be gone by
// retention), so saving the form never drops a subscription.
func (h *Pages) subscriptionOptions(ctx context.Context, f *views.Field, e *Endpoint) error {
	received, err := h.ed.ReceivedUnknownTypes(ctx, h.ed.eventTypes)
	if err != nil {
		return err
	}
	names := append(append([]string{SubscribeAll}, h.ed.eventTypes...), received...)
	for _, s := range e.Subscriptions {
		if !contains(names, s) {
			names = append(names, s)
		}
	}
	for _, n := range names {
		o := views.Option{Value: n, Label: n, Selected: contains(e.Subscriptions, n)}
		switch {
		case n == SubscribeAll:
			o.Label = h.allLabel()
		case !contains(h.ed.eventTypes, n):
			o.Help = "Received from Boooply; this version of Switchboard forwards it as is."
		}
		f.Options = append(f.Options, o)
	}
	f.Hint = h.subscriptionsHint(e)
	return nil
}

// allLabel is the "*" checkbox's label: it names what "*" leaves out.
func (h *Pages) allLabel() string {
	if len(h.ed.namedOnly) == 0 {
		return "all (incl. future types)"
	}
	return "all (incl. future types; " + strings.Join(h.ed.namedOnly, ", ") + " only when checked)"
}

// subscriptionsHint says what no choice means and, for an endpoint on "*"
// that doesn't name a named-only type, that it doesn't receive it (before
// this rule, "*" did).
func (h *Pages) subscriptionsHint(e *Endpoint) string {
	hint := h.defaultsHint()
	if !contains(e.Subscriptions, SubscribeAll) {
		return hint
	}
	var missing []string
	for _, n := range h.ed.namedOnly {
		if !contains(e.Subscriptions, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return hint
	}
	return hint + " \"All\" does not include " + strings.Join(missing, ", ") +
		" (about the interviewer, not the candidate): this endpoint receives it only if you check it by name."
}

// subscriptionsSummary is an endpoint's subscriptions as the tenant page lists them.
func (h *Pages) subscriptionsSummary(e *Endpoint) string {
	switch {
	case len(e.Subscriptions) == 0:
		return "default event types"
	case len(e.Subscriptions) == 1 && e.Subscriptions[0] == SubscribeAll && len(h.ed.namedOnly) > 0:
		return "all event types but " + strings.Join(h.ed.namedOnly, ", ")
	case len(e.Subscriptions) == 1 && e.Subscriptions[0] == SubscribeAll:
		return "all event types"
	}
	return strings.Join(e.Subscriptions, ", ")
}
