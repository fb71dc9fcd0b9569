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
	Mean  float64 `json:"mean_ms"`
}

// Summarize sorts a copy of the samples and returns their percentiles
// (nearest rank). An empty set summarizes to zeros.
func (s *Samples) Summarize() Summary { return summarizeCopy(&s.mu, &s.d) }

// summarizeCopy summarizes a copy of *d taken while holding mu.
func summarizeCopy(mu *sync.Mutex, d *[]time.Duration) Summary {
	mu.Lock()
	c := slices.Clone(*d)
	mu.Unlock()
	return summarize(c)
}

func summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var total time.Duration
	for _, v := range d {
		total += v
	}
	return Summary{
		Count: len(d),
		P50:   ms(rank(d, 0.50)),
		P90:   ms(rank(d, 0.90)),
		P99:   ms(rank(d, 0.99)),
		Max:   ms(d[len(d)-1]),
		Mean:  ms(total / time.Duration(len(d))),
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

// Timeline keeps each latency with when its request was due, to show how
// a phase's latency moved over time (a cold start, a climb, a stall)
// where one percentile over the whole phase cannot.
type Timeline struct {
	mu      sync.Mutex
	start   time.Time
	offsets []time.Duration
	d       []time.Duration
}

// Start sets the phase's start; Add's times count from it.
func (t *Timeline) Start(at time.Time) {
	t.mu.Lock()
	t.start = at
	t.mu.Unlock()
}

// Add records latency d of a request due at due; safe for concurrent use.
func (t *Timeline) Add(due time.Time, d time.Duration) {
	t.mu.Lock()
	t.offsets = append(t.offsets, due.Sub(t.start))
	t.d = append(t.d, d)
	t.mu.Unlock()
}

// Window is the latency of the requests due in one second of a phase.
type Window struct {
	Second int     `json:"second"` // from the phase's start
	Count  int     `json:"count"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// Summarize is the distribution of every latency added.
func (t *Timeline) Summarize() Summary { return summarizeCopy(&t.mu, &t.d) }

// BySecond summarizes the latencies of each second, in order; a second
// in which no request was due is left out.
func (t *Timeline) BySecond() []Window {
	t.mu.Lock()
	defer t.mu.Unlock()
	buckets := map[int][]time.Duration{}
	for i, off := range t.offsets {
		sec := int(max(0, off) / time.Second)
		buckets[sec] = append(buckets[sec], t.d[i])
	}
	out := make([]Window, 0, len(buckets))
	for sec, d := range buckets {
		s := summarize(d)
		out = append(out, Window{Second: sec, Count: s.Count, P50: s.P50, P99: s.P99, Max: s.Max})
	}
	slices.SortFunc(out, func(a, b Window) int { return a.Second - b.Second })
	return out
}
