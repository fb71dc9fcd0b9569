package chaos

import (
	"context"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// pgCluster is a private PostgreSQL cluster in a temp folder, on its own
// port, that a test may stop and start: never the machine's shared server.
type pgCluster struct {
	t    testing.TB
	bin  string
	dir  string
	port string
}

// privatePGAvailable reports whether a private cluster can be made here.
func privatePGAvailable() bool {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	_, err := user.Lookup("postgres")
	return len(bins) > 0 && err == nil
}

// startPrivatePG creates (initdb, trust auth), starts and, when t ends,
// stops and removes a cluster. It skips t where no PostgreSQL binaries or
// postgres OS user exist.
func startPrivatePG(t testing.TB) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	pgUser, err := user.Lookup("postgres")
	if len(bins) == 0 || err != nil {
		t.Skip("no PostgreSQL server binaries or postgres user on this machine")
	}
	dir, err := os.MkdirTemp("", "chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	c := &pgCluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), dir: dir, port: freePort(t)}
	t.Cleanup(func() {
		c.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if out, err := c.asPostgres(filepath.Join(c.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start()
	return c
}

// url is the cluster's connection URL.
func (c *pgCluster) url() string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/postgres?sslmode=disable"
}

// start starts the server and waits until it accepts connections.
func (c *pgCluster) start() {
	c.t.Helper()
	if out, err := c.pgctl("start", "-o", "-p "+c.port+" -k "+c.dir+" -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
		"-l", filepath.Join(c.dir, "server.log")); err != nil {
		c.t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// stop stops the server the way an outage would: connections are cut.
func (c *pgCluster) stop() {
	c.t.Helper()
	if out, err := c.pgctl("stop", "-m", "fast"); err != nil {
		c.t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (c *pgCluster) pgctl(args ...string) ([]byte, error) {
	args = append([]string{"-D", filepath.Join(c.dir, "data"), "-w", "-t", "60"}, args...)
	return c.asPostgres(filepath.Join(c.bin, "pg_ctl"), args...)
}

// asPostgres runs a PostgreSQL tool as the postgres OS user, bounded in time.
func (c *pgCluster) asPostgres(tool string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", tool}, args...)...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// freePort returns a loopback TCP port nothing listens on right now.
func freePort(t testing.TB) string {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	return port
}
