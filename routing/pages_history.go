package routing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/views"
)

// RecentEvent is one stored event the preview picker offers.
type RecentEvent struct {
	ID          int64
	EventType   string
	MeetingCode string
	ReceivedAt  time.Time
}

// RecentEventsFunc lists a tenant's latest events (newest first). main
// wires it to the events table (routing does not import webhooks).
type RecentEventsFunc func(ctx context.Context, tenantID int64, limit int) ([]RecentEvent, error)

// WithRecentEvents lets the editor preview recent real events of the
// endpoint's tenant besides the samples.
func (h *Handler) WithRecentEvents(f RecentEventsFunc) *Handler {
	h.recent = f
	return h
}

// sampleOptions are the samples (previewSamples) and the tenant's recent events
// ("event:<id>").
func (h *Handler) sampleOptions(c *fiber.Ctx, tenantID int64, current string) []views.Option {
	var out []views.Option
	for _, s := range previewSamples {
		out = append(out, views.Option{Value: s, Label: "Sample: " + s, Selected: s == current})
	}
	if h.recent == nil {
		return out
	}
	evs, err := h.recent(c.UserContext(), tenantID, 10)
	if err != nil {
		return out // the samples still work
	}
	for _, e := range evs {
		v := "event:" + strconv.FormatInt(e.ID, 10)
		out = append(out, views.Option{Value: v, Selected: v == current,
			Label: fmt.Sprintf("Event #%d: %s %s (%s)", e.ID, e.EventType, e.MeetingCode, e.ReceivedAt.UTC().Format("Jan 2 15:04")+" UTC")})
	}
	return out
}

// previewRequest turns the picker's value into a preview input.
func previewRequest(sample string) PreviewRequest {
	if id, ok := strings.CutPrefix(sample, "event:"); ok {
		n, _ := strconv.ParseInt(id, 10, 64)
		return PreviewRequest{EventID: n}
	}
	return PreviewRequest{Sample: sample}
}

// handleEditorDiff shows the diff of a version against the current one:
// the fragment for htmx, the editor page with it otherwise.
func (h *Handler) handleEditorDiff(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermRead)
	if err != nil {
		return err
	}
	var vs [2]*MappingVersion
	for i, field := range []string{"from", "to"} {
		n, err := versionNumber(c.Query(field), field)
		if err != nil {
			return err
		}
		if vs[i], err = h.store.FindVersion(c.UserContext(), tenantID, endpointID, n); err != nil {
			return err
		}
	}
	d := &views.MappingDiff{From: vs[0].Number, To: vs[1].Number}
	for _, line := range strings.Split(strings.TrimRight(Diff(vs[0].Spec, vs[1].Spec), "\n"), "\n") {
		if line == "" {
			continue
		}
		kind := map[byte]string{'+': "add", '-': "del"}[line[0]]
		if kind == "" {
			kind = "same"
		}
		d.Lines = append(d.Lines, views.DiffLine{Kind: kind, Text: line})
	}
	if c.Get("HX-Request") == "true" {
		return auth.Render(c, fiber.StatusOK, views.MappingDiffView(d))
	}
	p, err := h.editor(c, tenantID, endpointID, h.currentDraft(c, tenantID, endpointID), nil)
	if err != nil {
		return err
	}
	p.Diff = d
	return auth.Render(c, fiber.StatusOK, views.MappingEditorPage(p))
}

// currentDraft is the saved mapping as the editor shows it.
func (h *Handler) currentDraft(c *fiber.Ctx, tenantID, endpointID int64) draft {
	d := draft{Mode: "rules", Sample: "evaluation"}
	if v, err := h.store.CurrentVersion(c.UserContext(), tenantID, endpointID); err == nil {
		if m, err := v.Mapping(); err == nil {
			d = draftOf(m)
		}
	}
	return d
}
