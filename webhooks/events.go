// Package webhooks is Switchboard's front door and its delivery engine: it
// verifies and stores inbound Boooply events (ingest), schedules one delivery
// per subscribed endpoint in the same transaction, and works those deliveries
// (worker), recording every attempt.
package webhooks

import (
	"embed"
	"fmt"
)

// EventType describes one Boooply event name. Unknown names still flow
// through as raw events; an entry adds the embedded sample and the default
// subscription.
type EventType struct {
	Name string
	// Sample is a file in samples/ with Boooply's published example.
	Sample string
	// ForwardByDefault: endpoints that chose no subscriptions receive it.
	ForwardByDefault bool
}

// eventTypes is the list of known events; ingest, subscriptions and samples read it.
var eventTypes = []EventType{
	{Name: "interview.transcript", Sample: "transcript.json", ForwardByDefault: true},
	{Name: "interview.evaluation", Sample: "evaluation.json", ForwardByDefault: true},
	{Name: "interview.scores", Sample: "scores.json", ForwardByDefault: true},
	{Name: "interview.recording", Sample: "recording.json", ForwardByDefault: true},
	// About the interviewer, not the candidate: only for endpoints that ask for it.
	{Name: "interview.interviewer_evaluation", ForwardByDefault: false},
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

// forwardByDefault is the default subscription for name; unknown types go
// only to endpoints that subscribe to them (or to "*").
func forwardByDefault(name string) bool {
	et, ok := LookupEventType(name)
	return ok && et.ForwardByDefault
}

// Sample returns the embedded example body of a known event type.
func Sample(name string) ([]byte, error) {
	et, ok := LookupEventType(name)
	if !ok || et.Sample == "" {
		return nil, fmt.Errorf("no sample for event type %q", name)
	}
	return samples.ReadFile("samples/" + et.Sample)
}
