package webhooks

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-gw/switchboard/egress"
)

// Kind is how one attempt ended, in the worker's terms.
type Kind int

// Attempt outcomes: River acts on each differently (see Worker.Work).
const (
	Delivered Kind = iota // 2xx
	Retry                 // timeouts, connection errors, 408, 429, 5xx: retried on the schedule
	Permanent             // other 4xx, 3xx (redirects are not followed), SSRF-blocked: not retried
	Gone                  // 410: the delivery fails and the endpoint is disabled
)

// Outcome is the classified result of one attempt. Wait, when positive, is
// the endpoint's own Retry-After (429/503), already bounded.
type Outcome struct {
	Kind Kind
	Err  error
	Wait time.Duration
}

// maxRetryAfter bounds how long an endpoint's Retry-After may hold a delivery.
const maxRetryAfter = 6 * time.Hour

// Classify maps an HTTP status (0 when no response came) and transport error
// to an outcome. retryClientErrors is the endpoint's choice to retry 4xx
// other than 408/429/410. It is pure, so its table test is the retry
// policy's contract.
func Classify(status int, err error, retryClientErrors bool) Outcome {
	if status == 0 {
		if err != nil && errors.Is(err, egress.ErrBlocked) {
			return Outcome{Kind: Permanent, Err: err}
		}
		return Outcome{Kind: Retry, Err: err}
	}
	switch {
	case status >= 200 && status < 300:
		return Outcome{Kind: Delivered}
	case status == http.StatusGone:
		return Outcome{Kind: Gone, Err: err}
	case status == 408 || status == 429 || status >= 500:
		return Outcome{Kind: Retry, Err: err}
	case status >= 400 && retryClientErrors:
		return Outcome{Kind: Retry, Err: err}
	}
	return Outcome{Kind: Permanent, Err: err}
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date) sent with
// 429 or 503, bounded to [0, maxRetryAfter]; 0 when absent or unusable.
func RetryAfter(status int, value string, now time.Time) time.Duration {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(value, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(value); err == nil {
		d = t.Sub(now)
	} else {
		return 0
	}
	return min(max(d, 0), maxRetryAfter)
}

// errorClass names a transport error for the attempt record and the UI.
func errorClass(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, egress.ErrBlocked):
		return "ssrf-blocked"
	case egress.HeadersTooLarge(err):
		return "headers-too-large"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.As(err, &certErr), errors.As(err, &recErr), strings.Contains(err.Error(), "tls:"):
		return "tls"
	}
	return "connection"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
