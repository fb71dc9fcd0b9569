package main

import (
	"context"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestTuneGC: without GOGC the collector's target becomes defaultGCPercent;
// an operator's GOGC is left alone.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Run("GOGC set", func(t *testing.T) {
		t.Setenv("GOGC", "150")
		debug.SetGCPercent(150) // what the runtime read at start
		if tuneGC() {
			t.Error("tuneGC overrode GOGC")
		}
		if got := debug.SetGCPercent(150); got != 150 {
			t.Errorf("GC percent = %d, want the operator's 150", got)
		}
	})
	t.Run("GOGC unset", func(t *testing.T) {
		t.Setenv("GOGC", "") // restored after the test
		if err := os.Unsetenv("GOGC"); err != nil {
			t.Fatal(err)
		}
		debug.SetGCPercent(100)
		if !tuneGC() {
			t.Error("tuneGC did not apply the default")
		}
		if got := debug.SetGCPercent(100); got != defaultGCPercent {
			t.Errorf("GC percent = %d, want %d", got, defaultGCPercent)
		}
	})
}

// TestMemoryLimitFor: the budget while the live heap is small, twice the
// live heap plus headroom once that is larger, so the limit never makes the
// collector run more often than GOGC=100 would.
func TestMemoryLimitFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, memoryBudget},
		{40 << 20, memoryBudget},
		{59 << 20, memoryBudget},
		{100 << 20, 2*(100<<20) + memoryHeadroom},
		{1 << 62, math.MaxInt64},
	} {
		if got := memoryLimitFor(tc.live); got != tc.want {
			t.Errorf("memoryLimitFor(%d MiB) = %d, want %d", tc.live>>20, got, tc.want)
		}
	}
}

// TestGovernsMemory: Switchboard sets the limit only when the operator set
// neither GOGC nor GOMEMLIMIT.
func TestGovernsMemory(t *testing.T) {
	unset := func(name string) {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	unset("GOGC")
	unset("GOMEMLIMIT")
	if !governsMemory() {
		t.Error("neither set: want the governor")
	}
	t.Setenv("GOMEMLIMIT", "512MiB")
	if governsMemory() {
		t.Error("GOMEMLIMIT set: the operator's limit must stand")
	}
	unset("GOMEMLIMIT")
	t.Setenv("GOGC", "100")
	if governsMemory() {
		t.Error("GOGC set: the operator owns the collector")
	}
}

// TestGovernMemoryFollowsLiveHeap runs the governor for real: the budget at
// first, a limit above twice a large live heap once one is held, and the
// limit it found restored when it stops.
func TestGovernMemoryFollowsLiveHeap(t *testing.T) {
	const found = 900 << 20
	before := debug.SetMemoryLimit(found)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); governMemory(ctx, 10*time.Millisecond) }()

	waitLimit := func(ok func(int64) bool, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := debug.SetMemoryLimit(-1)
			if ok(got) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("limit = %d MiB, want %s", got>>20, what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitLimit(func(l int64) bool { return l < found && l >= memoryBudget }, "the budget (or just above it)")

	held := make([]byte, 200<<20) // live once collected
	for i := range held {
		held[i] = byte(i)
	}
	runtime.GC()
	waitLimit(func(l int64) bool { return l >= 2*(200<<20) }, "at least twice the 200 MiB held")
	runtime.KeepAlive(held)

	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got != found {
		t.Errorf("after stopping, limit = %d MiB, want the %d MiB it found", got>>20, found>>20)
	}
}

// TestGovernorSharedByServers: servers in one process share one governor;
// the limit found before the first is restored only when the last stops.
func TestGovernorSharedByServers(t *testing.T) {
	const found = 900 << 20
	before := debug.SetMemoryLimit(found)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	governed := func() bool { return debug.SetMemoryLimit(-1) < found }

	stopFirst := governor.start(10 * time.Millisecond)
	stopSecond := governor.start(10 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for !governed() {
		if time.Now().After(deadline) {
			t.Fatal("the limit never came down to the budget")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopFirst()
	stopFirst() // a second call is a no-op, not a second leave
	time.Sleep(50 * time.Millisecond)
	if !governed() {
		t.Fatal("one server stopping restored the limit while another still runs")
	}
	stopSecond()
	if got := debug.SetMemoryLimit(-1); got != found {
		t.Errorf("after the last server, limit = %d MiB, want the %d MiB found", got>>20, found>>20)
	}
}
