package chaos

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSQLiteDiskFullAndReadOnly runs the embedded default on a small tmpfs,
// fills it, then remounts it read-only: no event that was not stored gets
// a 2xx, the refusals are 503 with a JSON error, the server stays up, and
// once space (or write access) is back it stores and delivers again without
// a restart. It needs root to mount; elsewhere it skips.
func TestSQLiteDiskFullAndReadOnly(t *testing.T) {
	dir := mountTmpfs(t, "16m")
	dbURL := "sqlite:" + filepath.Join(dir, "switchboard.db")
	led := newLedger()
	sk := newSink(t, led, healthy)
	mustCreateTenant(t, dbURL, "org_disk", sk.URL+"/disk")
	srv := startServer(t, dbURL)
	db := openRead(t, dbURL)

	// phase posts n events, stopping early after enough refusals: a full
	// disk may still take a few events into space SQLite already holds (its
	// WAL file is reused, not shrunk), so "full" means refused eventually.
	phase := func(name string, n int) (acked, refused int) {
		for i := 0; i < n && refused < 10; i++ {
			token := led.newToken()
			body := eventBody(token, "org_disk")
			code := postSigned(t, srv.base(), body)
			switch {
			case code == http.StatusOK:
				led.ack(token, "org_disk", time.Now())
				acked++
			case code == http.StatusServiceUnavailable || code == http.StatusInsufficientStorage:
				refused++
			default:
				t.Errorf("%s: ingest answered %d, want 200 or 503", name, code)
			}
			if !srv.alive() {
				t.Fatalf("%s: server died:\n%s", name, tail(srv.logs()))
			}
		}
		return acked, refused
	}
	okBefore, _ := phase("before", 40)
	fill := fillDisk(t, dir)
	fullAcked, fullRefused := phase("disk full", 2000)
	os.Remove(fill)
	okAfterFull, _ := phase("space freed", 40)
	// A file system can't turn read-only under open files here, so the
	// server is restarted on the read-only mount (without migrating).
	srv.stop()
	db.Close()
	remount(t, dir, "ro")
	srv.args = append(srv.args, "--no-migrate")
	roAcked, roRefused, roStart := 0, 0, "serves"
	if err := srv.tryStart(); err != nil {
		roStart = "refused to start"
		t.Logf("read-only: %v", err)
	} else {
		roAcked, roRefused = phase("read-only", 40)
		if code := status(srv.base() + "/readyz"); code == http.StatusOK {
			t.Logf("read-only: /readyz answers %d", code)
		}
		srv.stop()
	}
	remount(t, dir, "rw")
	srv.start()
	db = openRead(t, dbURL)
	okAfterRO, _ := phase("writable again", 40)

	if fullRefused == 0 || roStart == "serves" && roRefused == 0 {
		t.Errorf("refused %d on a full disk and %d read-only; want refusals in both", fullRefused, roRefused)
	}
	if okAfterFull == 0 || okAfterRO == 0 {
		t.Errorf("after recovery %d and %d events stored; want them all", okAfterFull, okAfterRO)
	}
	tl, _ := led.waitDrained(2 * time.Minute)
	requireNoLoss(t, tl) // every 2xx, including any while full, was stored and delivered
	var stored int
	_ = db.SQL.QueryRow("SELECT COUNT(*) FROM events").Scan(&stored)
	if stored < tl.Acked {
		t.Errorf("%d events stored but %d acked", stored, tl.Acked)
	}
	logs := srv.logs()
	// The pure-Go SQLite reports ENOSPC as SQLITE_IOERR ("disk I/O error"),
	// not SQLITE_FULL; either names the cause of the 503s.
	full := strings.Contains(logs, "disk I/O error") || strings.Contains(logs, "full")
	if !full || !strings.Contains(logs, "readonly") && !strings.Contains(logs, "read-only") {
		t.Errorf("the log does not say the disk was full or read-only:\n%s", tail(grepLines(logs, `"level":"ERROR"`, "switchboard:")))
	}
	noPanics(t, logs)
	report(t, map[string]any{"acked_before": okBefore, "acked_while_full": fullAcked, "refused_while_full": fullRefused,
		"acked_while_readonly": roAcked, "readonly_start": roStart, "refused_while_readonly": roRefused, "acked_after": okAfterFull + okAfterRO,
		"delivered": tl.Delivered, "lost": tl.Lost})
}

// mountTmpfs mounts a tmpfs of size on a temp folder, unmounted when t ends.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

func remount(t *testing.T, dir, mode string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s: %v %s", mode, err, out)
	}
}

// fillDisk writes a file until the file system is full and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Big chunks first, then smaller ones, so no free block is left.
	for _, size := range []int{64 << 10, 4 << 10, 512, 1} {
		chunk := make([]byte, size)
		for range 1 << 14 {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill: %v", err)
				}
				break
			}
		}
	}
	if _, err := f.Write([]byte{0}); errors.Is(err, syscall.ENOSPC) {
		return path
	}
	t.Fatal("the tmpfs never filled up")
	return ""
}
