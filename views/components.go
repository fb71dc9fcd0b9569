package views

import (
	"fmt"
	"strings"
)

// Link is a labelled URL (breadcrumbs, actions, table cells).
type Link struct {
	Label, URL string
}

// Option is one choice of a select, radio group or checkbox group.
type Option struct {
	Value, Label string
	Selected     bool
	Help         string // shown as the option's title / hint where the control has room
}

// Field is one form control with its label, current value and inline error.
type Field struct {
	ID, Name, Label string
	Type            string // input type; "" means text
	Value           string
	Error           string // shown under the control, which gets aria-invalid
	Hint            string
	Placeholder     string
	Autocomplete    string
	Required        bool
	Options         []Option // for SelectField and ChecksField
	Describe        string   // id of a further element that describes the control (a live check's answer)
}

func (f Field) inputType() string { return orDefault(f.Type, "text") }
func (f Field) hintID() string    { return f.ID + "-hint" }
func (f Field) errorID() string   { return f.ID + "-error" }

// describedBy links the control to its hint and error for screen readers.
func (f Field) describedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.hintID())
	}
	if f.Error != "" {
		ids = append(ids, f.errorID())
	}
	if f.Describe != "" {
		ids = append(ids, f.Describe)
	}
	return strings.Join(ids, " ")
}

// Pager is keyset pagination: links to the first page and the next one.
// Target is the id (without '#') an htmx swap replaces.
type Pager struct {
	FirstURL, NextURL string
	Target            string
	Summary           string // e.g. "50 shown"
}

// Secret is a newly created secret, shown once with a copy button. It is the
// only component that renders a secret value.
type Secret struct {
	ID    string // element id, e.g. "endpoint-signing-secret"
	Label string
	Value string
	Note  string
	// PageURL is the GET page of the resource when the secret answers a
	// form post: app.js puts it in the address bar, so a reload neither
	// posts the form again nor shows the secret.
	PageURL string
}

// Empty describes an empty state: what is missing and what to do.
type Empty struct {
	Title, Body string
	Action      *Link
}

// Badge kinds.
const (
	BadgeOK      = "ok"
	BadgeWarn    = "warn"
	BadgeBad     = "bad"
	BadgeInfo    = "info"
	BadgeNeutral = "neutral"
)

// StatusKind maps the status words used across Switchboard (deliveries,
// tenants, endpoints, health) to a badge kind.
func StatusKind(status string) string {
	switch strings.ToLower(status) {
	case "delivered", "active", "enabled", "ok", "healthy", "success", "accepted", "routed":
		return BadgeOK
	case "pending", "retrying", "paused", "degraded", "warn", "held", "duplicate", "revision", "snoozed":
		return BadgeWarn
	case "failed", "disabled", "failing", "error", "cancelled", "unrouted", "revoked":
		return BadgeBad
	case "running", "scheduled", "info":
		return BadgeInfo
	}
	return BadgeNeutral
}

// Header is one HTTP header of a recorded attempt.
type Header struct {
	Name, Value string
}

// sensitiveHeader reports whether a header's value must not be shown. The
// handler already redacts what it stores; this is a second line so a
// credential recorded by mistake still never reaches the page.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie", "webhook-signature", "x-boooply-signature":
		return true
	}
	for _, word := range []string{"secret", "token", "password", "api-key", "apikey", "signature", "auth"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// HeaderValue is what the page shows for a header: the value, or a mask.
func HeaderValue(h Header) string {
	if sensitiveHeader(h.Name) {
		return "[redacted]"
	}
	return h.Value
}

// ChartBucket is one time slot of the volume chart.
type ChartBucket struct {
	Label     string // e.g. "14:00" or "Mon 3"
	Delivered int
	Failed    int
}

// Chart is a stacked bar chart of deliveries over time: delivered vs failed.
type Chart struct {
	ID, Title string
	Buckets   []ChartBucket
}

const (
	chartW, chartH = 720, 220
	chartPadL      = 40
	chartPadB      = 24
	chartPadT      = 8
)

type chartBar struct {
	X, W, OKY, OKH, BadY, BadH int
	Label, Title               string
	ShowLabel                  bool
}

type chartTick struct {
	Y     int
	Label string
}

// max is the top of the scale: at least the tallest bar, and even, so the
// middle tick's label is exact (a scale of 1 labelled its middle "0", one
// of 5 put "2" at 2.5).
func (c Chart) max() int {
	m := 0
	for _, b := range c.Buckets {
		m = max(m, b.Delivered+b.Failed)
	}
	m = max(m, 2)
	return m + m%2
}

// bars computes the geometry of each bar in SVG user units.
func (c Chart) bars() []chartBar {
	n := len(c.Buckets)
	if n == 0 {
		return nil
	}
	plotW, plotH := chartW-chartPadL-8, chartH-chartPadB-chartPadT
	slot := plotW / n
	w := max(slot*7/10, 1)
	every := max(n/8, 1)
	out := make([]chartBar, n)
	for i, b := range c.Buckets {
		okH := b.Delivered * plotH / c.max()
		badH := b.Failed * plotH / c.max()
		base := chartPadT + plotH
		out[i] = chartBar{
			X: chartPadL + i*slot + (slot-w)/2, W: w,
			OKY: base - okH, OKH: okH, BadY: base - okH - badH, BadH: badH,
			Label: b.Label, ShowLabel: i%every == 0,
			Title: fmt.Sprintf("%s: %d delivered, %d failed", b.Label, b.Delivered, b.Failed),
		}
	}
	return out
}

func (c Chart) ticks() []chartTick {
	plotH := chartH - chartPadB - chartPadT
	m := c.max()
	return []chartTick{
		{Y: chartPadT + plotH, Label: "0"},
		{Y: chartPadT + plotH/2, Label: itoa(m / 2)},
		{Y: chartPadT, Label: itoa(m)},
	}
}

// summary is the chart's text alternative.
func (c Chart) summary() string {
	ok, bad := 0, 0
	for _, b := range c.Buckets {
		ok += b.Delivered
		bad += b.Failed
	}
	return fmt.Sprintf("%s: %d delivered and %d failed over %d periods.", c.Title, ok, bad, len(c.Buckets))
}

func viewBox() string { return fmt.Sprintf("0 0 %d %d", chartW, chartH) }

// withAny puts an "any" choice first and marks the option whose value is
// current as selected.
func withAny(opts []Option, current, anyLabel string) []Option {
	out := make([]Option, 0, len(opts)+1)
	out = append(out, Option{Value: "", Label: anyLabel, Selected: current == ""})
	for _, o := range opts {
		o.Selected = o.Value == current
		out = append(out, o)
	}
	return out
}

// describedBy is f also described by the element with id (a live check's answer).
func describedBy(f Field, id string) Field {
	f.Describe = id
	return f
}
