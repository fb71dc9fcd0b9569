package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Machine describes where a run happened, so two reports can be compared.
type Machine struct {
	CPUModel   string `json:"cpu_model"`
	CPUs       int    `json:"cpus"`
	MemTotalMB int64  `json:"mem_total_mb"`
	Kernel     string `json:"kernel"`
	GoVersion  string `json:"go_version"`
	OSArch     string `json:"os_arch"`
	// LoadAvg is /proc/loadavg when the run started: other work on the machine skews every figure.
	LoadAvg string `json:"load_avg_at_start"`
}

// ReadMachine reads /proc for the CPU model, memory and kernel (Linux; blank elsewhere).
func ReadMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb, err := strconv.ParseInt(strings.Fields(procField("/proc/meminfo", "MemTotal") + " 0")[0], 10, 64); err == nil {
		m.MemTotalMB = kb / 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// RSSOf returns a reader of pid's resident memory (VmRSS) in bytes; pid 0 is this process.
func RSSOf(pid int) func() int64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	return func() int64 {
		f := strings.Fields(procField(path, "VmRSS"))
		if len(f) == 0 {
			return 0
		}
		kb, _ := strconv.ParseInt(f[0], 10, 64)
		return kb * 1024
	}
}

// GitDescribe names the code of this binary: the commit `go build` stamped
// into it ("abc123def456", "-dirty" when built from a modified tree), else
// (`go run`, tests) `git describe` of the checkout it runs in
// ("v0.1-3-gabc123-dirty"), else fallback. A built binary run from another
// checkout, or outside one, still names its own commit.
func GitDescribe(fallback string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := describeBuild(info.Settings); v != "" {
			return v
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty", "--tags").Output()
	if err != nil {
		return fallback
	}
	return strings.TrimSpace(string(out))
}

// describeBuild is the short commit in a binary's build settings, with
// "-dirty" for a modified tree; "" when the build carries no commit.
func describeBuild(settings []debug.BuildSetting) string {
	var rev, dirty string
	for _, s := range settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value[:min(len(s.Value), 12)]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// rssSampler records the peak of an RSS reader while a phase runs.
type rssSampler struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	peak  int64
}

func sampleRSS(read func() int64) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{})}
	if read == nil {
		return s
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			s.peak = max(s.peak, read())
			select {
			case <-s.stopc:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends sampling and returns the peak in MB (0 when nothing was read).
func (s *rssSampler) stop() float64 {
	close(s.stopc)
	s.wg.Wait()
	return float64(s.peak) / (1 << 20)
}
