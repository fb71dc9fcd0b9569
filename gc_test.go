package main

import (
	"os"
	"runtime/debug"
	"testing"
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
