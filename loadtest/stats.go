package loadtest

import (
	"slices"
	"sync"
	"time"
)

// Samples collects durations and reports exact percentiles. Runs are capped
// (MaxEvents), so keeping every sample is cheap and avoids histogram error.
type Samples struct {
	mu sync.Mutex
	d  []time.Duration
}

// Add records one duration; safe for concurrent use.
func (s *Samples) Add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

// Summary is the distribution of a set of samples, in milliseconds.
type Summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarize sorts a copy of the samples and returns their percentiles
// (nearest rank). An empty set summarizes to zeros.
func (s *Samples) Summarize() Summary {
	s.mu.Lock()
	d := slices.Clone(s.d)
	s.mu.Unlock()
	return summarize(d)
}

func summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	return Summary{
		Count: len(d),
		P50:   ms(rank(d, 0.50)),
		P90:   ms(rank(d, 0.90)),
		P99:   ms(rank(d, 0.99)),
		Max:   ms(d[len(d)-1]),
	}
}

// rank returns the nearest-rank percentile q (0..1) of sorted d.
func rank(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
