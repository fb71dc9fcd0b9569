package routing

import (
	"fmt"
	"strings"

	"github.com/switchboard-gw/switchboard/tenants"
)

// URLTemplates checks endpoint URL templates when an endpoint is saved:
// CheckURLTemplate's rules, and every placeholder outside correlation.* must
// have a single value in at least one of Boooply's sample events. So a
// {{meetingCode}} (the event has data.meetingCode) is refused when saved,
// not on every delivery. Correlation values come from records the vendor
// writes later, so correlation.<name> is accepted unchecked. It implements
// tenants.URLTemplateChecker; main wires it.
type URLTemplates struct {
	samples []*env
}

// NewURLTemplates decodes the sample event of each of eventTypes (samples is
// webhooks.Sample: routing must not import webhooks). An error names a
// sample that is missing or not JSON.
func NewURLTemplates(samples SampleFunc, eventTypes []string) (*URLTemplates, error) {
	u := &URLTemplates{}
	for _, et := range eventTypes {
		b, err := samples(et)
		if err != nil {
			return nil, fmt.Errorf("sample of %s: %w", et, err)
		}
		body, err := decodeOrdered(b)
		if err != nil {
			return nil, fmt.Errorf("sample of %s is not JSON: %w", et, err)
		}
		in := RenderInput{TenantID: 1, EndpointID: 1, EventType: et, MeetingCode: "Boooply-AI-1234567890", Revision: 1}
		if et == "interview.recording" {
			// The worker fills it for recordings of tenants with a Boooply key.
			in.RecordingLink = "https://switchboard.example/recordings/1"
		}
		u.samples = append(u.samples, &env{body: body, meta: metaObject(in), meetingCode: in.MeetingCode})
	}
	return u, nil
}

// CheckURLTemplate validates raw like the package's CheckURLTemplate, then
// each placeholder against the samples.
func (u *URLTemplates) CheckURLTemplate(raw string) error {
	if err := CheckURLTemplate(raw); err != nil {
		return err
	}
	parts, _ := parseTemplate(strings.TrimPrefix(raw, tenants.BullhornRestURL))
	for _, p := range parts {
		if p.path != nil {
			if err := u.checkPlaceholder(p.path); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPlaceholder refuses a path no sample fills with one value, and
// suggests the data.* or meta.* path that would work.
func (u *URLTemplates) checkPlaceholder(p path) error {
	if p.root() == rootCorrelation {
		if len(p) < 2 || p[1].isIdx {
			return fmt.Errorf("{{%s}} must name a correlation attribute, e.g. {{correlation.candidate_id}}", p)
		}
		return nil
	}
	switch u.fills(p) {
	case fillsValue:
		return nil
	case fillsObject:
		return fmt.Errorf("{{%s}} is an object or a list in Boooply events, not one value: name a field inside it", p)
	}
	msg := fmt.Sprintf("{{%s}} is not a field of Boooply events", p)
	for _, root := range []string{"data", rootMeta} {
		guess := append(path{{key: root}}, p...)
		if p.root() != root && u.fills(guess) == fillsValue {
			return fmt.Errorf("%s; did you mean {{%s}}?", msg, guess)
		}
	}
	return fmt.Errorf("%s; use {{data.<field>}} (e.g. {{data.meetingCode}}), {{meta.<name>}} or {{correlation.<name>}}", msg)
}

// fill is what a path gives in the samples at best.
type fill int

const (
	fillsNothing fill = iota
	fillsObject       // only objects or lists: a URL needs one value
	fillsValue        // a string, number or boolean in at least one sample
)

func (u *URLTemplates) fills(p path) fill {
	best := fillsNothing
	for _, e := range u.samples {
		switch v := e.resolve(p); v.(type) {
		case *object, []any:
			if !isEmpty(v) {
				best = fillsObject
			}
		default:
			if !isEmpty(v) {
				return fillsValue
			}
		}
	}
	return best
}
