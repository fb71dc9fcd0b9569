package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"net/url"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

func msg(typ byte, parts ...string) []byte {
	var body []byte
	for _, p := range parts {
		body = append(append(body, p...), 0)
	}
	out := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(out[1:], uint32(len(body)+4))
	return append(out, body...)
}

// TestStatementCounterRelay: the relay passes bytes through unchanged and
// counts simple queries and executions of parsed statements by their SQL.
func TestStatementCounterRelay(t *testing.T) {
	startup := make([]byte, 8)
	binary.BigEndian.PutUint32(startup, 8)
	binary.BigEndian.PutUint32(startup[4:], 196608)
	var in bytes.Buffer
	in.Write(startup)
	in.Write(msg('P', "s1", "SELECT  1\n FROM x", ""))
	for range 3 {
		in.Write(msg('B', "", "s1", ""))
		in.Write(msg('E', "", ""))
		in.Write(msg('S'))
	}
	in.Write(msg('Q', "begin"))
	want := bytes.Clone(in.Bytes())
	c := &StatementCounter{counts: map[string]int64{}}
	var out bytes.Buffer
	_ = c.relay(bufio.NewReader(&in), &out) // ends with EOF
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("relay changed the stream")
	}
	got := c.Snapshot()
	if got["SELECT 1 FROM x"] != 3 || got["begin"] != 1 || len(got) != 2 {
		t.Fatalf("counts = %v, want 3 × SELECT 1 FROM x and 1 × begin", got)
	}
}

// TestStatementCounterPostgres counts a real pgx session through the proxy
// (PostgreSQL only: it reads PostgreSQL's wire protocol).
func TestStatementCounterPostgres(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		if target.Name != "postgres" {
			continue
		}
		u, err := url.Parse(target.URL)
		if err != nil {
			t.Fatal(err)
		}
		c, err := StartStatementCounter(u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		u.Host = c.Addr
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for i := range 4 {
			var n int
			if err := db.QueryRowContext(context.Background(), "SELECT $1::int + 1", i).Scan(&n); err != nil || n != i+1 {
				t.Fatalf("query through proxy: %v (%d)", err, n)
			}
		}
		if got := c.Snapshot()["SELECT $1::int + 1"]; got != 4 {
			t.Fatalf("counted %d executions, want 4 (all: %v)", got, c.Snapshot())
		}
	}
}
