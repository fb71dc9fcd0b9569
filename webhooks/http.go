package webhooks

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/tidwall/gjson"

	"github.com/switchboard-gw/switchboard/problem"
)

// Handler serves the inbound webhook endpoint.
type Handler struct {
	svc    *Service
	keys   *Keys
	bearer BearerMode
	log    *slog.Logger
	// lastRejectLog rate-limits the log line for unauthenticated requests.
	lastRejectLog atomic.Int64
	// lastRefuseLog rate-limits the log line for other refusals (a body
	// that is signed but unusable is an event the sender will lose).
	lastRefuseLog atomic.Int64
	// lastUnsignedLog rate-limits refusals made before the signature is
	// checked (a content type or encoding anyone can send) apart, so they
	// never use up lastRefuseLog's line.
	lastUnsignedLog atomic.Int64
}

// NewHandler returns the ingest handler. bearer says what to do with the
// Authorization header ("" is BearerAccepted).
func NewHandler(svc *Service, keys *Keys, bearer BearerMode, log *slog.Logger) *Handler {
	if bearer == "" {
		bearer = BearerAccepted
	}
	return &Handler{svc: svc, keys: keys, bearer: bearer, log: log}
}

// IngestPath is where Boooply posts webhooks.
const IngestPath = "/webhooks/boooply"

// IsIngestPath reports whether path is IngestPath as the router matches it
// (any letter case, with or without a trailing slash).
func IsIngestPath(path string) bool {
	return strings.EqualFold(strings.TrimSuffix(path, "/"), IngestPath)
}

// Routes mounts the ingest endpoint.
func Routes(r fiber.Router, h *Handler) {
	r.Post(IngestPath, h.handleIngest)
}

// retryAfterSeconds is what a sender is told to wait when storing failed.
const retryAfterSeconds = 5

// request is what ingest reads of an HTTP request. Authorization is only
// compared, never logged or stored.
type request struct {
	ContentEncoding string
	ContentType     string
	Signature       string
	Authorization   string
	Platform        string
	EventHeader     string
	MeetingHeader   string
	Body            []byte // may be the server's reused buffer: admit copies what it keeps
}

func (h *Handler) handleIngest(c *fiber.Ctx) error {
	started := time.Now()
	// Push-back first: under overload a refusal must cost next to nothing.
	release, err := h.svc.admission.Enter()
	if err != nil {
		observe(string(problem.CodeUnavailable), started)
		return err
	}
	defer release()
	in, err := h.admit(request{
		// The raw body: Fiber's c.Body() would first inflate a gzip, deflate
		// or br Content-Encoding, unbounded and before any signature check
		// (a few kB could expand to gigabytes); admit refuses encodings.
		ContentEncoding: c.Get(fiber.HeaderContentEncoding), Body: c.Request().Body(),
		ContentType: c.Get(fiber.HeaderContentType), Signature: c.Get("X-Boooply-Signature"),
		Authorization: c.Get(fiber.HeaderAuthorization), Platform: c.Get("X-Boooply-Platform"),
		EventHeader: c.Get("X-Boooply-Event"), MeetingHeader: c.Get("X-Boooply-Meeting-Id"),
	})
	if err != nil {
		observe(outcomeOf(err), started)
		if _, ok := problem.As(err); !ok {
			h.logRejected(c, err)
			return unauthorized(err)
		}
		h.logRefused(c, err)
		return err
	}
	res, err := h.svc.Ingest(c.UserContext(), in)
	if err != nil {
		observe(string(problem.CodeUnavailable), started)
		h.log.Error("Could not store an inbound event.", "meeting_code", in.MeetingCode, "event", in.Event, "error", err)
		return problem.Unavailable("the event could not be stored; retry later", retryAfterSeconds)
	}
	observe(string(res.Status), started)
	return c.Status(fiber.StatusOK).JSON(res)
}

// admit checks a request and extracts its routing fields: content type,
// signature (over the exact bytes), bearer token, body shape, header/body
// agreement. Errors are problem errors (4xx) or verification errors (401).
func (h *Handler) admit(r request) (Inbound, error) {
	if enc := strings.TrimSpace(r.ContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		// Boooply sends plain JSON; the signature is over those bytes.
		return Inbound{}, &problem.Error{Code: problem.CodeUnsupportedType,
			Message: fmt.Sprintf("content encoding %q is not supported; send the body uncompressed", enc)}
	}
	if r.ContentType != "" {
		if mt, _, err := mime.ParseMediaType(r.ContentType); err != nil || mt != "application/json" {
			return Inbound{}, problem.UnsupportedType(r.ContentType)
		}
	}
	if !h.keys.Loaded() {
		// Switchboard's fault (the database was unreachable at start), not
		// the sender's: a 401 would tell Boooply its signature is wrong.
		return Inbound{}, problem.Unavailable("inbound secrets are not loaded yet; retry later", retryAfterSeconds)
	}
	if !h.keys.Configured() {
		return Inbound{}, ErrNoSecret
	}
	// The unverified sourceId only selects which secret to try.
	cands := h.keys.Candidates(r.Platform, gjson.GetBytes(r.Body, "data.sourceId").Str)
	if err := VerifyWith(cands, r.Body, r.Signature); err != nil {
		return Inbound{}, err
	}
	if err := CheckBearer(h.bearer, cands, r.Authorization); err != nil {
		return Inbound{}, err
	}
	// fasthttp reuses the request buffer; the stored body must own its bytes.
	in, err := ParseInbound(bytes.Clone(r.Body))
	if err != nil {
		return Inbound{}, err
	}
	return in, checkHeaders(r, in)
}

// unauthorized answers a verification failure with its reason class only.
func unauthorized(err error) error {
	p := problem.Unauthorized(err.Error())
	p.Details = []problem.Detail{{Field: "reason", Reason: reasonCode(err)}}
	return p
}

// checkHeaders refuses an event whose routing headers contradict its body.
func checkHeaders(r request, in Inbound) error {
	if h := r.EventHeader; h != "" && h != in.Event {
		return problem.BadRequest("X-Boooply-Event", "header says "+h+" but the body's event is "+in.Event)
	}
	if h := r.MeetingHeader; h != "" && h != in.MeetingCode {
		return problem.BadRequest("X-Boooply-Meeting-Id", "header disagrees with data.meetingCode")
	}
	return nil
}

// logRefused logs at most one line per second for the other refusals:
// its reason class and Switchboard's own message (which names the field or
// header at fault, never a secret). A bad_request comes after the
// signature held, so the operator needs to know what Boooply sent wrong;
// an unsupported content type or encoding comes before it, from anyone,
// and has a line per second of its own so it can't crowd the others out.
func (h *Handler) logRefused(c *fiber.Ctx, err error) {
	p, _ := problem.As(err)
	if p == nil || p.Code == problem.CodeUnavailable {
		return // push-back and outages have their own metrics and log lines
	}
	budget := &h.lastRefuseLog
	if p.Code == problem.CodeUnsupportedType { // refused before the signature was checked (admit)
		budget = &h.lastUnsignedLog
	}
	now := time.Now().Unix()
	last := budget.Load()
	if now == last || !budget.CompareAndSwap(last, now) {
		return
	}
	h.log.Warn("Refused an inbound webhook.", "reason", string(p.Code), "message", p.Message, "remote", c.IP())
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
	h.log.Log(c.UserContext(), level, "Rejected an inbound webhook.", "reason", reasonCode(err), "remote", c.IP())
}
