package loadtest

import (
	"testing"
	"time"
)

// The load generator shares the machine with the server it measures, so its
// own cost per event must stay small: go test -run '^$' -bench . -benchmem ./loadtest

func BenchmarkGeneratorMake(b *testing.B) {
	g, err := NewGenerator("abc123", "s3cret")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var seq int64
	for b.Loop() {
		seq++
		ev := g.Make(seq, int(seq%1000))
		b.SetBytes(int64(len(ev.Body)))
	}
}

func BenchmarkSamplesAdd(b *testing.B) {
	var s Samples
	b.ReportAllocs()
	for b.Loop() {
		s.Add(time.Millisecond)
	}
}

func BenchmarkReceiverRecord(b *testing.B) {
	r := &Receiver{got: map[string]*Arrival{}, ids: map[string]int{}}
	g, err := NewGenerator("abc123", "s3cret")
	if err != nil {
		b.Fatal(err)
	}
	ev := g.Make(1, 1)
	h := map[string][]string{"X-Boooply-Meeting-Id": {ev.MeetingCode}, "X-Switchboard-Event": {ev.Type}, "Webhook-Id": {"dlv_1"}}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		r.record(h, ev.Body, now)
	}
}
