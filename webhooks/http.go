package webhooks

import (
	"bytes"
	"errors"
	"log/slog"
	"mime"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
)

// Handler serves the inbound webhook endpoint.
type Handler struct {
	svc      *Service
	verifier *Verifier
	log      *slog.Logger
	// lastRejectLog rate-limits the log line for unauthenticated requests.
	lastRejectLog atomic.Int64
}

// NewHandler returns the ingest handler.
func NewHandler(svc *Service, verifier *Verifier, log *slog.Logger) *Handler {
	return &Handler{svc: svc, verifier: verifier, log: log}
}

// Routes mounts the ingest endpoint.
func Routes(r fiber.Router, h *Handler) {
	r.Post("/webhooks/boooply", h.handleIngest)
}

// retryAfterSeconds is what a sender is told to wait when storing failed.
const retryAfterSeconds = 5

func (h *Handler) handleIngest(c *fiber.Ctx) error {
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return problem.UnsupportedType(ct)
		}
	}
	body := c.Body()
	if err := h.verifier.Verify(body, c.Get("X-Boooply-Signature")); err != nil {
		h.logRejected(c, err)
		return problem.Unauthorized(err.Error())
	}
	// fasthttp reuses the request buffer; the stored body must own its bytes.
	in, err := ParseInbound(bytes.Clone(body))
	if err != nil {
		return err
	}
	if err := checkHeaders(c, in); err != nil {
		return err
	}
	res, err := h.svc.Ingest(c.UserContext(), in)
	if err != nil {
		h.log.Error("Could not store an inbound event.", "meeting_code", in.MeetingCode, "event", in.Event, "error", err)
		return problem.Unavailable("the event could not be stored; retry later", retryAfterSeconds)
	}
	return c.Status(fiber.StatusOK).JSON(res)
}

// checkHeaders refuses an event whose routing headers contradict its body.
func checkHeaders(c *fiber.Ctx, in Inbound) error {
	if h := c.Get("X-Boooply-Event"); h != "" && h != in.Event {
		return problem.BadRequest("X-Boooply-Event", "header says "+h+" but the body's event is "+in.Event)
	}
	if h := c.Get("X-Boooply-Meeting-Id"); h != "" && h != in.MeetingCode {
		return problem.BadRequest("X-Boooply-Meeting-Id", "header disagrees with data.meetingCode")
	}
	return nil
}

// logRejected logs at most one line per second for unauthenticated
// requests, so a flood can't fill the disk. Nothing else of them is kept.
func (h *Handler) logRejected(c *fiber.Ctx, err error) {
	now := time.Now().Unix()
	last := h.lastRejectLog.Load()
	if now == last || !h.lastRejectLog.CompareAndSwap(last, now) {
		return
	}
	level := slog.LevelWarn
	if errors.Is(err, ErrNoSecret) {
		level = slog.LevelError
	}
	h.log.Log(c.UserContext(), level, "Rejected an inbound webhook.", "reason", err.Error(), "remote", c.IP())
}
