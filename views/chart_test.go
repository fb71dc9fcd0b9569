package views

import "testing"

// TestChartBars: the tallest period fills the plot, bars stack delivered
// under failed, and an empty period has no height.
func TestChartBars(t *testing.T) {
	c := Chart{Buckets: []ChartBucket{{Label: "a", Delivered: 30, Failed: 10}, {Label: "b"}, {Label: "c", Delivered: 20}}}
	bars := c.bars()
	if len(bars) != 3 {
		t.Fatalf("got %d bars, want 3", len(bars))
	}
	plotH := chartH - chartPadB - chartPadT
	if got := bars[0].OKH + bars[0].BadH; got != plotH {
		t.Errorf("tallest bar height = %d, want the plot height %d", got, plotH)
	}
	if bars[0].BadY+bars[0].BadH != bars[0].OKY {
		t.Errorf("failed segment ends at %d, want it stacked on delivered at %d", bars[0].BadY+bars[0].BadH, bars[0].OKY)
	}
	if bars[1].OKH != 0 || bars[1].BadH != 0 {
		t.Errorf("empty period has height %d+%d, want 0", bars[1].OKH, bars[1].BadH)
	}
	if bars[2].OKH != plotH/2 {
		t.Errorf("half-volume bar height = %d, want %d", bars[2].OKH, plotH/2)
	}
	if bars[0].X >= bars[1].X || bars[1].X >= bars[2].X {
		t.Error("bars are not left to right")
	}
	if got, want := c.summary(), ": 50 delivered and 10 failed over 3 periods."; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

// TestChartTicks: the three scale labels are distinct and the middle one
// sits exactly halfway, whatever the tallest bar (an empty or one-delivery
// day labelled its scale 0, 0, 1).
func TestChartTicks(t *testing.T) {
	for _, top := range []int{0, 1, 2, 5, 40, 99} {
		c := Chart{Buckets: []ChartBucket{{Label: "a", Delivered: top}}}
		ticks := c.ticks()
		lo, mid, hi := atoiOr(t, ticks[0].Label), atoiOr(t, ticks[1].Label), atoiOr(t, ticks[2].Label)
		if lo != 0 || mid*2 != hi || hi < top || mid == lo {
			t.Errorf("tallest bar %d: ticks %d, %d, %d; want 0, half, top ≥ %d", top, lo, mid, hi, top)
		}
	}
}

func atoiOr(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("tick label %q is not a number", s)
		}
		n = n*10 + int(r-'0')
	}
	return n
}
