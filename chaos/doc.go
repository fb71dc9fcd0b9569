// Package chaos proves what Switchboard survives. Its tests build the real
// switchboard binary, run it as child processes on loopback, and put it
// through crashes (kill -9), database outages, a read-only database,
// misbehaving receivers, several replicas, hostile input and SSRF attempts,
// then check the outcome through the public interfaces: the HTTP API, the
// CLI, what loopback receivers got, and the events, deliveries and attempts
// tables read with database/sql.
//
// `go test ./chaos/` runs the fast subset (CI). SWITCHBOARD_CHAOS=long
// enables the long runs; scripts/chaos-*.sh run each one with its figures.
package chaos
