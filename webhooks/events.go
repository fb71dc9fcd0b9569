// Package webhooks is Switchboard's front door and its delivery engine: it
// verifies and stores inbound Boooply events (ingest), schedules one delivery
// per subscribed endpoint in the same transaction, and works those deliveries
// (worker), recording every attempt.
package webhooks

import (
	"embed"
	"encoding/json"
	"fmt"

	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
)

// EventType describes one Boooply event name. Unknown names still flow
// through as raw events; an entry adds typed decoding, the embedded sample
// and the default subscription.
type EventType struct {
	Name string
	// Sample is a file in samples/ with Boooply's published example (or one
	// built from the documented fields where Boooply publishes none).
	Sample string
	// Decode parses a body of this type into *Envelope[T], leniently: unknown
	// fields are ignored (they stay in the stored raw body).
	Decode func(body []byte) (any, error)
	// ForwardByDefault: endpoints that chose no subscriptions receive it.
	ForwardByDefault bool
	// NamedOnly: "*" does not match it; only endpoints whose subscriptions
	// name it receive it (routing, held events and replays alike).
	NamedOnly bool
}

// eventTypes is the list of known events; ingest, subscriptions and samples read it.
var eventTypes = []EventType{
	{Name: "interview.transcript", Sample: "transcript.json", Decode: decode[Transcript], ForwardByDefault: true},
	{Name: "interview.evaluation", Sample: "evaluation.json", Decode: decode[Evaluation], ForwardByDefault: true},
	{Name: "interview.scores", Sample: "scores.json", Decode: decode[Scores], ForwardByDefault: true},
	{Name: "interview.recording", Sample: "recording.json", Decode: decode[Recording], ForwardByDefault: true},
	// About the interviewer, not the candidate: only for endpoints that name it.
	{Name: "interview.interviewer_evaluation", Sample: "interviewer_evaluation.json", Decode: decode[InterviewerEvaluation], NamedOnly: true},
}

// Decode parses body with its event type's Go type. For unknown event types
// it returns the generic envelope with data as raw JSON.
func Decode(eventType string, body []byte) (any, error) {
	if et, ok := LookupEventType(eventType); ok {
		return et.Decode(body)
	}
	return decode[json.RawMessage](body)
}

//go:embed samples/*.json
var samples embed.FS

// EventTypes returns the known event types in display order.
func EventTypes() []EventType {
	return append([]EventType(nil), eventTypes...)
}

// LookupEventType returns the entry for name; ok is false for names Switchboard
// does not know yet (they are still accepted and routable).
func LookupEventType(name string) (EventType, bool) {
	for _, et := range eventTypes {
		if et.Name == name {
			return et, true
		}
	}
	return EventType{}, false
}

// typeRule is how endpoints that don't name the event type meet it. Unknown
// types go only to endpoints that subscribe to them or to "*".
func typeRule(name string) tenants.TypeRule {
	et, _ := LookupEventType(name)
	return tenants.TypeRule{ForwardByDefault: et.ForwardByDefault, NamedOnly: et.NamedOnly}
}

// routingEvent is what routing needs to know of an event of eventType.
func routingEvent(eventType string, sourceID *string) routing.Event {
	return routing.Event{Type: eventType, SourceID: sourceID, TypeRule: typeRule(eventType)}
}

// notNamedError says why ep must not receive an event of eventType, or is
// nil when it may: a named-only type goes only to endpoints whose
// subscriptions name it, whichever path sends it (ingest, held events,
// replay, retry: the worker checks again before each attempt).
func notNamedError(ep *tenants.Endpoint, eventType string) error {
	rule := typeRule(eventType)
	if !rule.NamedOnly || ep.Subscribes(eventType, rule) {
		return nil
	}
	return fmt.Errorf("the endpoint's subscriptions don't name %s, which goes only to endpoints that name it (\"*\" is not enough)", eventType)
}

// SampleTypes names the event types Sample has a body for, in display order.
func SampleTypes() []string {
	var names []string
	for _, et := range eventTypes {
		if et.Sample != "" {
			names = append(names, et.Name)
		}
	}
	return names
}

// Sample returns the embedded example body of a known event type.
func Sample(name string) ([]byte, error) {
	et, ok := LookupEventType(name)
	if !ok || et.Sample == "" {
		return nil, fmt.Errorf("no sample for event type %q", name)
	}
	return samples.ReadFile("samples/" + et.Sample)
}
