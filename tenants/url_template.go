package tenants

import (
	"context"
	"regexp"
	"strings"
)

// URLTemplateChecker validates the {{path}} placeholders of an endpoint URL
// when it is saved and in the form's live check (where they may appear,
// what they may name). This package can't import routing, which owns the
// template syntax and renders it; main wires *routing.URLTemplates, which
// also checks each placeholder against Boooply's sample events.
type URLTemplateChecker interface {
	CheckURLTemplate(raw string) error
}

// URLTemplateFunc adapts a function to URLTemplateChecker.
type URLTemplateFunc func(raw string) error

// CheckURLTemplate calls f.
func (f URLTemplateFunc) CheckURLTemplate(raw string) error { return f(raw) }

// CheckURLTemplates makes the editor validate URL templates with c when an
// endpoint is saved (without it, placeholders are only replaced by a dummy
// value for the SSRF check). It returns ed.
func (ed *Editor) CheckURLTemplates(c URLTemplateChecker) *Editor {
	ed.templates = c
	return ed
}

// endpointURLs is how an endpoint URL is checked when saved and by the
// form's live check: its template first, then the SSRF guard.
func (ed *Editor) endpointURLs() URLChecker {
	return templatedURLs{urls: ed.urls, templates: ed.templates}
}

// storedURLs passes the URL a field already holds and asks next about any
// other. An update that keeps a URL must not depend on it passing the
// check again: a host whose DNS went away, or a loopback receiver saved
// while private endpoints were allowed, would otherwise stop an admin from
// disabling the endpoint or changing its description. Deliveries are still
// guarded where they dial. Only the field's own URL passes: the endpoint's
// old url given as its probe_url (or token URL) is new there, and checked.
type storedURLs struct {
	next   URLChecker
	stored map[string]string // field (url, probe_url, oauth2_token_url, bullhorn_login_info_url) → the URL it holds
	field  string            // the field being checked; "" checks every URL
}

// storedURLsOf are the URLs before holds, each in its field.
func storedURLsOf(next URLChecker, before *Endpoint) storedURLs {
	return storedURLs{next: next, stored: map[string]string{
		"url": before.URL, "probe_url": before.ProbeURL, "oauth2_token_url": before.OAuth2TokenURL,
		"bullhorn_login_info_url": before.BullhornLoginInfoURL}}
}

// forField implements fieldURLs.
func (s storedURLs) forField(field string) URLChecker {
	s.field = field
	return s
}

func (s storedURLs) CheckURL(ctx context.Context, raw string) error {
	if raw != "" && s.field != "" && s.stored[s.field] == raw {
		return nil
	}
	return s.next.CheckURL(ctx, raw)
}

// fieldURLs is a URLChecker whose answer depends on the field it checks.
type fieldURLs interface {
	forField(field string) URLChecker
}

// urlsFor is urls as it checks field.
func urlsFor(urls URLChecker, field string) URLChecker {
	if f, ok := urls.(fieldURLs); ok {
		return f.forField(field)
	}
	return urls
}

// correlationPlaceholders lists raw's {{correlation.…}} placeholders: their
// values come from correlation records written per interview, so no sample
// event can check them.
func correlationPlaceholders(raw string) []string {
	var out []string
	for _, m := range placeholder.FindAllString(raw, -1) {
		if strings.HasPrefix(strings.TrimSpace(strings.Trim(m, "{}")), "correlation.") {
			out = append(out, m)
		}
	}
	return out
}

// placeholder matches one {{…}} of a URL template.
var placeholder = regexp.MustCompile(`\{\{[^{}]*\}\}`)

// templateDummy stands for a placeholder's value in the SSRF check: a plain
// path segment or query value, as a rendered value is escaped into one.
const templateDummy = "placeholder"

// templatedURLs checks an endpoint URL that may hold placeholders: the
// template first, then the SSRF guard on the URL with each placeholder
// replaced by a dummy value (a placeholder is never in the host, so the
// host checked is the host called).
type templatedURLs struct {
	urls      URLChecker
	templates URLTemplateChecker
}

// CheckURL implements URLChecker.
func (t templatedURLs) CheckURL(ctx context.Context, raw string) error {
	if IsBullhornURL(raw) {
		// A path under a Bullhorn session's restUrl (validateBullhornURL):
		// no host to check before login; the worker guards each one it dials.
		if t.templates != nil {
			return t.templates.CheckURLTemplate(raw)
		}
		return nil
	}
	if !strings.Contains(raw, "{{") {
		return t.urls.CheckURL(ctx, raw)
	}
	if t.templates != nil {
		if err := t.templates.CheckURLTemplate(raw); err != nil {
			return err
		}
	}
	return t.urls.CheckURL(ctx, placeholder.ReplaceAllString(raw, templateDummy))
}
