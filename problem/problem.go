// Package problem is the vocabulary of errors a client may see. Each error
// carries a stable code; main's Fiber error handler maps codes to HTTP statuses
// in one place, so handlers and stores only say what went wrong.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Code is the stable, machine-readable class of a client-visible error.
type Code string

// The codes a client may see. Their HTTP statuses live in Status.
const (
	CodeBadRequest      Code = "bad_request"
	CodeInvalid         Code = "invalid"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodeUnauthorized    Code = "unauthorized"
	CodeForbidden       Code = "forbidden"
	CodeUnavailable     Code = "unavailable"
	CodeTooLarge        Code = "payload_too_large"
	CodeUnsupportedType Code = "unsupported_media_type"
	CodeRateLimited     Code = "rate_limited"
)

// Detail names one field and what is wrong with it.
type Detail struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is a client-visible error. Its Message is safe to show to whoever sent
// the request; it must never contain secrets.
type Error struct {
	Code    Code     `json:"code"`
	Message string   `json:"message"`
	Details []Detail `json:"details"`
	// RetryAfter, when positive, is sent as a Retry-After header (seconds).
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// MarshalJSON writes the one error shape {"code","message","details"}:
// details is [] when there are none, so a client can always iterate it.
func (e Error) MarshalJSON() ([]byte, error) {
	details := e.Details
	if details == nil {
		details = []Detail{}
	}
	return json.Marshal(struct {
		Code    Code     `json:"code"`
		Message string   `json:"message"`
		Details []Detail `json:"details"`
	}{e.Code, e.Message, details})
}

// BadRequest reports a request Switchboard cannot read (malformed JSON, a
// missing required field, headers that disagree with the body).
func BadRequest(field, reason string) *Error {
	return &Error{Code: CodeBadRequest, Message: field + ": " + reason, Details: []Detail{{Field: field, Reason: reason}}}
}

// Invalid reports a well-formed request whose field value is not acceptable
// (validation of configuration input).
func Invalid(field, reason string) *Error {
	return &Error{Code: CodeInvalid, Message: field + ": " + reason, Details: []Detail{{Field: field, Reason: reason}}}
}

// NotFound reports that the named thing does not exist (or is outside the caller's scope).
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// Conflict reports a request that clashes with existing state.
func Conflict(msg string) *Error { return &Error{Code: CodeConflict, Message: msg} }

// Unauthorized reports missing or failed authentication; msg names the reason class only.
func Unauthorized(msg string) *Error { return &Error{Code: CodeUnauthorized, Message: msg} }

// Forbidden reports an authenticated caller acting outside its role.
func Forbidden() *Error { return &Error{Code: CodeForbidden, Message: "not allowed for your role"} }

// Unavailable reports that Switchboard cannot serve now; the client should retry later.
func Unavailable(msg string, retryAfter int) *Error {
	return &Error{Code: CodeUnavailable, Message: msg, RetryAfter: retryAfter}
}

// TooLarge reports a body over the configured limit.
func TooLarge(limit int) *Error {
	return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("body exceeds %d bytes", limit)}
}

// UnsupportedType reports a request body in a content type Switchboard does not read.
func UnsupportedType(got string) *Error {
	return &Error{Code: CodeUnsupportedType, Message: fmt.Sprintf("content type %q is not supported; send application/json", got)}
}

// As returns the client-visible error in err's chain, if any.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// Status is the HTTP status for a code.
func Status(c Code) int {
	switch c {
	case CodeBadRequest:
		return 400
	case CodeInvalid:
		return 422
	case CodeUnauthorized:
		return 401
	case CodeForbidden:
		return 403
	case CodeNotFound:
		return 404
	case CodeConflict:
		return 409
	case CodeTooLarge:
		return 413
	case CodeUnsupportedType:
		return 415
	case CodeRateLimited:
		return 429
	case CodeUnavailable:
		return 503
	}
	return 500
}
