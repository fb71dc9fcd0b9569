package webhooks

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"syscall"

	"github.com/switchboard-gw/switchboard/egress"
)

// Kind is how one attempt ended, in the worker's terms.
type Kind int

// Attempt outcomes: River acts on each differently (see Worker.Work).
const (
	Delivered Kind = iota // 2xx
	Retry                 // timeouts, connection errors, 408, 429, 5xx: retried on the schedule
	Permanent             // other 4xx, 3xx (redirects are not followed), SSRF-blocked: not retried
)

// Outcome is the classified result of one attempt.
type Outcome struct {
	Kind Kind
	Err  error
}

// Classify maps an HTTP status (0 when no response came) and transport error
// to an outcome. It is pure, so its table test is the retry policy's contract.
func Classify(status int, err error) Outcome {
	if status == 0 {
		if err != nil && errors.Is(err, egress.ErrBlocked) {
			return Outcome{Kind: Permanent, Err: err}
		}
		return Outcome{Kind: Retry, Err: err}
	}
	switch {
	case status >= 200 && status < 300:
		return Outcome{Kind: Delivered}
	case status == 408 || status == 429 || status >= 500:
		return Outcome{Kind: Retry, Err: err}
	}
	return Outcome{Kind: Permanent, Err: err}
}

// errorClass names a transport error for the attempt record and the UI.
func errorClass(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, egress.ErrBlocked):
		return "ssrf-blocked"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.As(err, &certErr), errors.As(err, &recErr):
		return "tls"
	}
	return "connection"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
