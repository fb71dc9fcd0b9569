package loadtest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// StatementCounter is a loopback TCP proxy in front of PostgreSQL that counts
// the statements a server runs, by reading the frontend protocol: every
// simple Query and every Execute of a parsed statement, keyed by its SQL.
// pg_stat_statements is not available here; this needs nothing from the
// database and sees River's statements as well as GORM's. It needs a plain
// connection (sslmode=disable), which is what loopback uses.
type StatementCounter struct {
	Addr     string
	upstream string
	ln       net.Listener
	mu       sync.Mutex
	counts   map[string]int64
}

// StartStatementCounter listens on a free loopback port and forwards to upstream (host:port).
func StartStatementCounter(upstream string) (*StatementCounter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &StatementCounter{Addr: ln.Addr().String(), upstream: upstream, ln: ln, counts: map[string]int64{}}
	go c.accept()
	return c, nil
}

// Close stops accepting connections (open ones end with their clients).
func (c *StatementCounter) Close() error { return c.ln.Close() }

// Snapshot returns the counts so far, by normalized SQL.
func (c *StatementCounter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

func (c *StatementCounter) accept() {
	for {
		client, err := c.ln.Accept()
		if err != nil {
			return
		}
		go c.serve(client)
	}
}

func (c *StatementCounter) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", c.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { _, _ = io.Copy(client, server); client.Close() }()
	_ = c.relay(bufio.NewReaderSize(client, 64<<10), server)
}

// relay copies frontend messages to the server, counting executions.
func (c *StatementCounter) relay(r *bufio.Reader, w io.Writer) error {
	if err := relayStartup(r, w); err != nil {
		return err
	}
	stmts, portals := map[string]string{}, map[string]string{}
	var head [5]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(head[1:])) - 4
		if n < 0 || n > 1<<30 {
			return fmt.Errorf("bad message length %d", n)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		switch head[0] {
		case 'Q':
			c.count(cstring(body, 0))
		case 'P':
			stmts[cstring(body, 0)] = cstring(body, 1)
		case 'B':
			portals[cstring(body, 0)] = stmts[cstring(body, 1)]
		case 'E':
			c.count(portals[cstring(body, 0)])
		}
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
	}
}

// relayStartup forwards the untyped startup message (after a refused
// SSLRequest, the real one follows).
func relayStartup(r *bufio.Reader, w io.Writer) error {
	for {
		var head [8]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(head[:4])) - 8
		if n < 0 || n > 1<<16 {
			return fmt.Errorf("bad startup length %d", n)
		}
		rest := make([]byte, n)
		if _, err := io.ReadFull(r, rest); err != nil {
			return err
		}
		if _, err := w.Write(append(head[:], rest...)); err != nil {
			return err
		}
		if code := binary.BigEndian.Uint32(head[4:]); code != 80877103 && code != 80877104 {
			return nil // not an SSL/GSS request: the startup message itself
		}
	}
}

// cstring returns the i-th NUL-terminated string of body.
func cstring(body []byte, i int) string {
	for ; i > 0; i-- {
		j := bytes.IndexByte(body, 0)
		if j < 0 {
			return ""
		}
		body = body[j+1:]
	}
	if j := bytes.IndexByte(body, 0); j >= 0 {
		body = body[:j]
	}
	return string(body)
}

var spaces = regexp.MustCompile(`\s+`)

func (c *StatementCounter) count(sql string) {
	key := strings.TrimSpace(spaces.ReplaceAllString(sql, " "))
	if len(key) > 90 {
		key = key[:90] + "…"
	}
	c.mu.Lock()
	c.counts[key]++
	c.mu.Unlock()
}

// StatementCount is one statement's executions in a phase.
type StatementCount struct {
	SQL      string  `json:"sql"`
	Count    int64   `json:"count"`
	PerEvent float64 `json:"per_stored_event"`
}

// statementDelta returns after-before, most executed first, and the total.
func statementDelta(before, after map[string]int64, stored int64) ([]StatementCount, int64) {
	var out []StatementCount
	var total int64
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out = append(out, StatementCount{SQL: k, Count: d, PerEvent: float64(d) / float64(max(stored, 1))})
			total += d
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, total
}
