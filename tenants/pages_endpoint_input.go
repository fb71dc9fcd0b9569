package tenants

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// endpointInput reads the endpoint form. Number fields that don't parse
// are reported per field.
func endpointInput(c *fiber.Ctx) (EndpointInput, map[string]string) {
	errs := map[string]string{}
	str := func(name string) *string { v := strings.TrimSpace(c.FormValue(name)); return &v }
	flag := func(name string) *bool { v := c.FormValue(name) == "true"; return &v }
	num := func(name string) *int {
		v := strings.TrimSpace(c.FormValue(name))
		if v == "" {
			return new(int)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs[name] = "must be a whole number"
		}
		return &n
	}
	var subs []string
	for _, v := range c.Request().PostArgs().PeekMulti("subscriptions") {
		subs = append(subs, string(v))
	}
	at := AuthType(c.FormValue("auth_type", string(AuthNone)))
	in := EndpointInput{URL: str("url"), Description: str("description"), Enabled: flag("enabled"), Subscriptions: &subs,
		AuthType: &at, AuthHeaderName: str("auth_header_name"), TimeoutMS: num("timeout_ms"), MaxAttempts: num("max_attempts"),
		MaxAgeSeconds: num("max_age_seconds"), MaxConcurrency: num("max_concurrency"), RetryClientErrors: flag("retry_client_errors"),
		SkipRevisions: flag("skip_revisions"), Ordered: flag("ordered")}
	if s := c.FormValue("auth_secret"); s != "" {
		in.AuthSecret = &s // empty keeps the stored secret
	}
	in.Method, in.ProbeURL, in.ClientCertPEM = str("method"), str("probe_url"), str("client_cert_pem")
	if c.FormValue("clear_client_key") == "true" {
		in.ClientKeyPEM = new(string) // "" clears the stored key
	} else if s := strings.TrimSpace(c.FormValue("client_key_pem")); s != "" {
		in.ClientKeyPEM = &s // empty keeps the stored key
	}
	rate := 0.0
	if v := strings.TrimSpace(c.FormValue("rate_limit_per_second")); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil {
			errs["rate_limit_per_second"] = "must be a number"
		}
	}
	in.RateLimitPerSecond = &rate
	hs, err := parseHeaders(c.FormValue("headers"))
	if err != nil {
		errs["headers"] = err.Error()
	}
	in.Headers = &hs
	oauth2Input(c, &in, errs)
	bullhornInput(c, &in)
	return in, errs
}

// parseHeaders reads "Name: value" lines.
func parseHeaders(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d: write Name: value", i+1)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("line %d: %s is already set above: keep one", i+1, k)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

func formatHeaders(hs map[string]string) string {
	keys := make([]string, 0, len(hs))
	for k := range hs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + ": " + hs[k] + "\n")
	}
	return b.String()
}
