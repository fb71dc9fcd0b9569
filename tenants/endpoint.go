package tenants

import (
	"context"
	"strings"

	"github.com/switchboard-gw/switchboard/problem"
)

// URLChecker refuses endpoint URLs Switchboard must not call (the SSRF
// guard). *egress.Guard implements it; main wires it.
type URLChecker interface {
	CheckURL(ctx context.Context, raw string) error
}

// Validate checks the endpoint's fields and asks urls whether its URL may be
// called. Errors are problem.Invalid naming the field.
func (e *Endpoint) Validate(ctx context.Context, urls URLChecker) error {
	e.URL = strings.TrimSpace(e.URL)
	if e.URL == "" {
		return problem.Invalid("url", "is required")
	}
	if len(e.URL) > 2048 {
		return problem.Invalid("url", "is longer than 2048 bytes")
	}
	if err := urls.CheckURL(ctx, e.URL); err != nil {
		return problem.Invalid("url", strings.TrimPrefix(err.Error(), "url: "))
	}
	e.fillDefaults()
	for _, s := range e.Subscriptions {
		if strings.TrimSpace(s) == "" {
			return problem.Invalid("subscriptions", "contains an empty event type")
		}
	}
	return nil
}

// fillDefaults replaces nil lists and maps and empty enums, which the
// NOT NULL columns would refuse.
func (e *Endpoint) fillDefaults() {
	if e.Subscriptions == nil {
		e.Subscriptions = []string{}
	}
	if e.Headers == nil {
		e.Headers = map[string]string{}
	}
	if e.AuthType == "" {
		e.AuthType = AuthNone
	}
}
