package loadtest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestProcCPU reads utime + stime past a command name holding spaces and
// parentheses, in clock ticks of 10 ms.
func TestProcCPU(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	line := "4242 (postgres: a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 123 456 789\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := procCPU(path); got != 3250*time.Millisecond {
		t.Fatalf("procCPU = %v, want 3.25s (250 + 75 ticks)", got)
	}
	if got := procCPU(filepath.Join(t.TempDir(), "missing")); got != 0 {
		t.Fatalf("missing file: %v, want 0", got)
	}
}

// TestCPUOfSelf: this process's reading grows while it burns CPU.
func TestCPUOfSelf(t *testing.T) {
	read := CPUOf(0)
	before := read()
	deadline := time.Now().Add(200 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	if after := read(); after-before < 50*time.Millisecond {
		t.Fatalf("CPU grew by %v over 200 ms of busy loop (x=%d), want ≥ 50 ms", after-before, x)
	}
}

func TestCPUDeltaAndPerEvent(t *testing.T) {
	before := map[int]time.Duration{1: time.Second, 2: 2 * time.Second}
	after := map[int]time.Duration{1: 1500 * time.Millisecond, 3: 250 * time.Millisecond} // 2 ended, 3 started
	if d := cpuDelta(before, after); d != 750*time.Millisecond {
		t.Fatalf("cpuDelta = %v, want 750ms", d)
	}
	if ms := msPerEvent(750*time.Millisecond, 500); ms != 1.5 {
		t.Fatalf("msPerEvent = %v, want 1.5", ms)
	}
	if ms := msPerEvent(time.Second, 0); ms != 0 {
		t.Fatalf("nothing stored: %v, want 0", ms)
	}
}
