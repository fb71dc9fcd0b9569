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
