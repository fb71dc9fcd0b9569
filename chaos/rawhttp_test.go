package chaos

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// rawCase is a request written byte by byte on a TCP connection, for what a
// well-behaved client library refuses to send.
type rawCase struct {
	name string
	head string // request line and headers, "\r\n"-separated, without the final blank line
	body string
	pad  int // bytes of body written after head (for oversized bodies)
	want []int
}

func rawCases() []rawCase {
	const req = "POST /webhooks/boooply HTTP/1.1\r\nHost: chaos\r\nContent-Type: application/json\r\n"
	body := string(ev(`"interview.scores"`, okData))
	sig := "X-Boooply-Signature: " + sign([]byte(body)) + "\r\n"
	cl := fmt.Sprintf("Content-Length: %d\r\n", len(body))
	return []rawCase{
		{name: "Content-Length over 10 MiB", head: req + "Content-Length: 11534336\r\n", pad: 1 << 20, want: []int{413}},
		{name: "chunked body over 10 MiB", head: req + "Transfer-Encoding: chunked\r\n", pad: -1, want: []int{413}},
		// fasthttp keeps the last Content-Length (RFC 9112 asks for 400); the
		// truncated body then fails its signature: still refused, nothing stored.
		{name: "two different Content-Lengths", head: req + sig + cl + "Content-Length: 5\r\n", body: body, want: []int{400, 401}},
		{name: "Content-Length and chunked", head: req + sig + cl + "Transfer-Encoding: chunked\r\n", body: body, want: []int{400}},
		{name: "bare CR in event header", head: req + sig + cl + "X-Boooply-Event: interview.scores\rSet-Cookie: a=1\r\n", body: body, want: []int{400}},
		{name: "obs-fold continuation", head: req + sig + cl + "X-Boooply-Event: interview.scores\r\n Set-Cookie: a=1\r\n", body: body, want: []int{400}},
		{name: "NUL in header value", head: req + sig + cl + "X-Boooply-Event: interview\x00.scores\r\n", body: body, want: []int{400}},
		{name: "CRLF-smuggled second request", head: req + sig + cl, body: body + "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", want: []int{200, 400}},
		{name: "no Host header", head: "POST /webhooks/boooply HTTP/1.1\r\nContent-Type: application/json\r\n" + sig + cl, body: body, want: []int{200, 400}},
		// Past fasthttp's 4 KiB header buffer: 431 before the signature is read.
		{name: "signature of 8 KiB", head: req + cl + "X-Boooply-Signature: " + strings.Repeat("ab", 4096) + "\r\n", body: body, want: []int{401, 431}},
		{name: "64 KiB header", head: req + sig + cl + "X-Pad: " + strings.Repeat("a", 64<<10) + "\r\n", body: body, want: []int{431}},
	}
}

// TestHostileRawHTTP writes malformed and oversized requests on raw
// connections: each gets one of its statuses, nothing an attacker put in a
// header comes back as a response header, and the server stays up.
func TestHostileRawHTTP(t *testing.T) {
	srv := startServer(t, "sqlite:"+t.TempDir()+"/switchboard.db")
	for _, tc := range rawCases() {
		resp, err := rawRequest(srv.addr, tc)
		switch {
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !slices.Contains(tc.want, resp.StatusCode):
			t.Errorf("%s: got %d, want one of %v", tc.name, resp.StatusCode, tc.want)
		case resp.Header.Get("Set-Cookie") != "":
			t.Errorf("%s: injected Set-Cookie came back: %q", tc.name, resp.Header.Get("Set-Cookie"))
		}
		if !srv.alive() || status(srv.base()+"/healthz") != http.StatusOK {
			t.Fatalf("%s: server is down afterwards:\n%s", tc.name, tail(srv.logs()))
		}
	}
	noPanics(t, srv.logs())
}

// rawRequest writes tc on a fresh connection and reads the first response.
// Oversized bodies are written in the background: the server may answer
// and close before reading them.
func rawRequest(addr string, tc rawCase) (*http.Response, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	// The server may answer and close before reading everything: write in
	// the background and read the answer regardless.
	go func() {
		if _, err := io.WriteString(conn, tc.head+"\r\n"+tc.body); err == nil {
			writePad(conn, tc.pad)
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, nil
}

// writePad writes n bytes of filler (n < 0: 12 MiB as 64 KiB chunks).
func writePad(conn net.Conn, n int) {
	chunk := strings.Repeat("x", 64<<10)
	if n < 0 {
		for range 12 * 16 {
			if _, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
				return
			}
		}
		return
	}
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := io.WriteString(conn, chunk[:k]); err != nil {
			return
		}
		n -= k
	}
}
