package loadtest

import (
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestGeneratorEvents: every kind verifies with the secret, parses as an
// inbound event and carries its own meetingCode and the tenant's sourceId.
func TestGeneratorEvents(t *testing.T) {
	g, err := NewGenerator("abc123", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	candidates := [][]byte{[]byte("s3cret")}
	seen := map[string]bool{}
	for seq := int64(0); seq < int64(g.Kinds())*2; seq++ {
		ev := g.Make(seq+98, 7)
		if err := webhooks.VerifyWith(candidates, ev.Body, ev.Signature); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		in, err := webhooks.ParseInbound(ev.Body)
		if err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		if in.MeetingCode != ev.MeetingCode || in.Event != ev.Type || in.SourceID == nil || *in.SourceID != SourceID("abc123", 7) {
			t.Fatalf("seq %d: got %s %s %v, want %s %s %s", seq, in.MeetingCode, in.Event, in.SourceID, ev.MeetingCode, ev.Type, SourceID("abc123", 7))
		}
		if seen[in.MeetingCode] {
			t.Fatalf("meetingCode %s repeated", in.MeetingCode)
		}
		seen[in.MeetingCode] = true
	}
	long := g.Make(int64(g.Kinds()-1), 0)
	if n := len(gjson.GetBytes(long.Body, "data.transcript").Array()); n != LongTranscriptEntries {
		t.Errorf("long transcript has %d entries, want %d", n, LongTranscriptEntries)
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name                string
		n                   int
		p50, p99, max, mean float64
	}{
		{name: "empty", n: 0},
		{name: "one", n: 1, p50: 1, p99: 1, max: 1, mean: 1},
		{name: "hundred", n: 100, p50: 50, p99: 99, max: 100, mean: 50.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Samples
			for i := tc.n; i >= 1; i-- {
				s.Add(time.Duration(i) * time.Millisecond)
			}
			got := s.Summarize()
			if got.Count != tc.n || got.P50 != tc.p50 || got.P99 != tc.p99 || got.Max != tc.max || got.Mean != tc.mean {
				t.Fatalf("got %+v, want count %d p50 %v p99 %v max %v mean %v", got, tc.n, tc.p50, tc.p99, tc.max, tc.mean)
			}
		})
	}
}

// TestSlowTenantShare: the slow tenant gets its share of events, the others the rest.
func TestSlowTenantShare(t *testing.T) {
	s := &sender{w: Workload{Tenants: 10, SlowTenant: 0, SlowShare: 0.1}}
	counts := make([]int, 10)
	for seq := int64(0); seq < 100_000; seq++ {
		counts[s.tenantFor(seq)]++
	}
	if share := float64(counts[0]) / 100_000; share < 0.09 || share > 0.11 {
		t.Errorf("slow tenant share = %.3f, want 0.1", share)
	}
	for i, n := range counts[1:] {
		if n < 9000 || n > 11000 {
			t.Errorf("tenant %d got %d events, want about 10000", i+1, n)
		}
	}
}

// TestTimelineBySecond: each latency lands in the second its request was
// due, seconds come out in order, and an empty second is left out.
func TestTimelineBySecond(t *testing.T) {
	var tl Timeline
	start := time.Unix(1_000, 0)
	tl.Start(start)
	for i := 1; i <= 100; i++ { // second 0: 1..100 ms
		tl.Add(start.Add(time.Duration(i)*time.Millisecond), time.Duration(i)*time.Millisecond)
	}
	tl.Add(start.Add(2500*time.Millisecond), 7*time.Millisecond) // second 2; second 1 is empty
	tl.Add(start.Add(-time.Millisecond), 3*time.Millisecond)     // due just before the start: second 0
	got := tl.BySecond()
	if len(got) != 2 || got[0].Second != 0 || got[1].Second != 2 {
		t.Fatalf("windows %+v, want seconds 0 and 2", got)
	}
	if got[0].Count != 101 || got[0].P99 != 99 || got[0].Max != 100 || got[1].Count != 1 || got[1].P50 != 7 {
		t.Errorf("windows %+v, want 101 samples (p99 99 ms, max 100 ms) then one of 7 ms", got)
	}
	if all := tl.Summarize(); all.Count != 102 || all.Max != 100 || all.P50 != 49 { // 1…100 plus 3 and 7: the 51st is 49
		t.Errorf("whole phase %+v, want 102 samples, p50 49 ms, max 100 ms", all)
	}
}
