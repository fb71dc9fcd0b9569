package loadtest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/database"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times
// (100 on every mainstream architecture; Go cannot ask sysconf without cgo).
const clockTicks = 100

// CPUOf returns a reader of pid's CPU time (user + system, all threads); pid 0
// is this process. The reader answers 0 when /proc cannot be read (not Linux,
// the process is gone or another user's).
func CPUOf(pid int) func() time.Duration {
	path := "/proc/self/stat"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	return func() time.Duration { return procCPU(path) }
}

// procCPU reads utime + stime from a /proc stat file. The command name (in
// parentheses, may hold spaces) is skipped by cutting at the last ")".
func procCPU(path string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 { // state is f[0]; utime and stime are fields 14 and 15 of the whole line
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// backendCPU sums the CPU time of the PostgreSQL backends connected to the
// target database (PostgreSQL on this machine only; the load tool refuses
// remote databases unless told otherwise). ok is false on SQLite or when
// no backend's /proc entry could be read.
func (p *dbProbe) backendCPU(ctx context.Context) (map[int]time.Duration, bool) {
	if p == nil || p.db.Dialect != database.Postgres {
		return nil, false
	}
	var pids []int
	if err := p.db.Gorm.WithContext(ctx).Raw(
		"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").Scan(&pids).Error; err != nil {
		return nil, false
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		if d := procCPU(fmt.Sprintf("/proc/%d/stat", pid)); d > 0 {
			out[pid] = d
		}
	}
	return out, len(out) > 0
}

// cpuDelta is the CPU the backends used between two readings: a backend
// that started in between counts whole, one that ended counts nothing.
func cpuDelta(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}

// msPerEvent is cpu per stored event in milliseconds (0 when nothing was stored).
func msPerEvent(cpu time.Duration, stored int64) float64 {
	if stored <= 0 || cpu <= 0 {
		return 0
	}
	return float64(cpu) / float64(time.Millisecond) / float64(stored)
}
