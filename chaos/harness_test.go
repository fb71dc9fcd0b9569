package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Credentials the child servers run with; tests grep logs for them.
const (
	webhookSecret = "whsec_chaos_7f3a9c2e1b"
	secretKey     = "jDLh3evmDAXUsUBQbHAaWNgOKWgsEh3jRPnychVJku8="
	// authValue is Boooply's Authorization header (Bearer <webhook
	// secret>), sent on every load request; the server checks it when present.
	authValue = "Bearer " + webhookSecret
)

// binPath is the switchboard binary TestMain builds once for every test.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchboard-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "switchboard")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Dir = ".." // the module root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build switchboard:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// longRun skips t unless SWITCHBOARD_CHAOS=long: the long runs take minutes
// and have their own scripts; CI runs the fast subset.
func longRun(t *testing.T) {
	t.Helper()
	if os.Getenv("SWITCHBOARD_CHAOS") != "long" {
		t.Skip("long chaos run: set SWITCHBOARD_CHAOS=long or use scripts/chaos-*.sh")
	}
}

// server is one switchboard child process. It can be killed and started
// again on the same address and database.
type server struct {
	t       testing.TB
	args    []string
	addr    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// baseServeArgs keeps retries short so tests drain in seconds.
func baseServeArgs(addr, dbURL string) []string {
	return []string{"serve", "--listen", addr, "--database-url", dbURL,
		"--webhook-secret", webhookSecret, "--secret-key", secretKey, "--allow-private-endpoints",
		"--retry-schedule", "50ms,100ms,200ms,400ms,800ms,1s,1s,1s", "--delivery-timeout", "2s",
		"--shutdown-timeout", "5s"}
}

// startServer runs switchboard serve on a free loopback port and waits for
// /healthz. extra flags override the defaults. It is stopped when t ends.
func startServer(t testing.TB, dbURL string, extra ...string) *server {
	t.Helper()
	s := &server{t: t, addr: freeAddr(t), logPath: filepath.Join(t.TempDir(), "server.log")}
	s.args = append(baseServeArgs(s.addr, dbURL), extra...)
	t.Cleanup(s.stop)
	s.start()
	return s
}

// base is the server's URL.
func (s *server) base() string { return "http://" + s.addr }

// start launches the process and waits until it answers /healthz.
func (s *server) start() {
	s.t.Helper()
	if err := s.tryStart(); err != nil {
		s.t.Fatalf("%v:\n%s", err, tail(s.logs()))
	}
}

// tryStart is start that returns an error when the process exits or does
// not answer within 60 s.
func (s *server) tryStart() error {
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(binPath, s.args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start switchboard: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if status(s.base()+"/healthz") == http.StatusOK {
			return nil
		}
		select {
		case <-s.exited:
			s.cmd = nil
			return errors.New("switchboard exited at start")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("switchboard did not answer /healthz within 60s")
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// stop sends SIGTERM, and SIGKILL if the process outlives its shutdown
// timeout. It then checks the whole log for the credentials the server was
// given: they must never be logged.
func (s *server) stop() {
	defer s.checkNoSecrets()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}

func (s *server) checkNoSecrets() {
	logs := s.logs()
	for name, secret := range map[string]string{"webhook secret": webhookSecret, "secret key": secretKey, "Authorization value": authValue} {
		if strings.Contains(logs, secret) {
			s.t.Errorf("the %s appears in the server log", name)
		}
	}
}

// alive reports whether the process is still running.
func (s *server) alive() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// logs returns everything the process (and its earlier runs) printed.
func (s *server) logs() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// rssKB reads the process's resident set size from /proc.
func (s *server) rssKB() int64 {
	if s.cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// status GETs url and returns its status code, 0 when it can't connect.
func status(url string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// cli runs a switchboard subcommand and returns its combined output.
func cli(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	// The CLI seals endpoint signing secrets: it must use the servers' key.
	cmd.Env = append(os.Environ(), "SWITCHBOARD_SECRET_KEY="+secretKey)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustCreateTenant creates a tenant through the CLI and returns its id.
func mustCreateTenant(t testing.TB, dbURL, sourceID string, endpoints ...string) string {
	t.Helper()
	args := []string{"tenants", "create", "--database-url", dbURL, "--allow-private-endpoints",
		"--name", "Chaos " + sourceID, "--source-id", sourceID}
	for _, e := range endpoints {
		args = append(args, "--endpoint", e)
	}
	out, err := cli(t, args...)
	if err != nil {
		t.Fatalf("tenants create %s: %v\n%s", sourceID, err, out)
	}
	return strings.TrimSpace(out)
}

// waitUntil polls cond every 20 ms until it holds or d passes.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
