package egress

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// padHeaders answers 200 with about n bytes of headers (4 KiB each).
func padHeaders(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i < n/4096; i++ {
			w.Header().Set(fmt.Sprintf("X-Pad-%d", i), strings.Repeat("a", 4096-20))
		}
		w.WriteHeader(http.StatusOK)
	}
}

// repeatHeader answers 200 with n identical 1,000-byte values of one
// header: HPACK sends the repeats as one-byte references to the first, so
// over HTTP/2 the whole block fits in one frame however large it decodes.
func repeatHeader(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for range n {
			w.Header().Add("X-Pad", strings.Repeat("a", 1000))
		}
		w.WriteHeader(http.StatusOK)
	}
}

// TestHeadersTooLarge: the guarded client refuses an answer whose headers
// exceed MaxResponseHeaderBytes and accepts one well under it. Over
// HTTP/1.1, and over HTTP/2 when the block arrives in one frame, the error
// is one HeadersTooLarge recognises; an HTTP/2 block running on past the
// limit in further frames makes Go close the connection with a
// PROTOCOL_ERROR (its framer stops reading), which says nothing more.
func TestHeadersTooLarge(t *testing.T) {
	cases := []struct {
		name      string
		http2     bool
		answer    http.HandlerFunc
		wantErr   string // "" means the answer comes through
		wantLarge bool   // HeadersTooLarge(err)
	}{
		{name: "HTTP/1.1, 1 MiB of headers", answer: padHeaders(1 << 20), wantErr: "server response headers exceeded 65536 bytes", wantLarge: true},
		{name: "HTTP/1.1, 100 KB of one repeated header", answer: repeatHeader(100), wantErr: "server response headers exceeded", wantLarge: true},
		{name: "HTTP/1.1, 32 KiB of headers", answer: padHeaders(32 << 10)},
		{name: "HTTP/2, 1 MiB of headers", http2: true, answer: padHeaders(1 << 20), wantErr: "PROTOCOL_ERROR"},
		{name: "HTTP/2, 100 KB of one repeated header", http2: true, answer: repeatHeader(100), wantErr: "response header list larger than advertised limit", wantLarge: true},
		{name: "HTTP/2, 32 KiB of headers", http2: true, answer: padHeaders(32 << 10)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(tc.answer)
			client := (&Guard{AllowPrivate: true}).Client(0)
			if tc.http2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
				client.Transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			resp, err := client.Get(srv.URL)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want the answer", err)
				}
				resp.Body.Close()
				if want := map[bool]int{false: 1, true: 2}[tc.http2]; resp.ProtoMajor != want {
					t.Fatalf("answered over HTTP/%d, want HTTP/%d", resp.ProtoMajor, want)
				}
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("got %d with %d headers, want an error", resp.StatusCode, len(resp.Header))
			}
			if !strings.Contains(err.Error(), tc.wantErr) || errors.Is(err, ErrBlocked) {
				t.Fatalf("err = %v, want it to mention %q (and not wrap ErrBlocked)", err, tc.wantErr)
			}
			if HeadersTooLarge(err) != tc.wantLarge {
				t.Fatalf("HeadersTooLarge(%v) = %v, want %v", err, !tc.wantLarge, tc.wantLarge)
			}
		})
	}
}

func TestTransportBoundsHeaders(t *testing.T) {
	if got := (&Guard{}).Transport().MaxResponseHeaderBytes; got != MaxResponseHeaderBytes {
		t.Fatalf("MaxResponseHeaderBytes = %d, want %d", got, MaxResponseHeaderBytes)
	}
	if got := (&Guard{}).Transport().Clone().MaxResponseHeaderBytes; got != MaxResponseHeaderBytes {
		t.Fatalf("a clone (mutual TLS clients) has MaxResponseHeaderBytes = %d, want %d", got, MaxResponseHeaderBytes)
	}
}

// rawHeaders serves every connection the same prepared answer: a 200 with
// about n bytes of headers. Nothing is allocated per request on its side,
// so a benchmark's B/op is the client's.
func rawHeaders(tb testing.TB, n int) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n")
	for i := range n / 4096 {
		fmt.Fprintf(&b, "X-Pad-%d: %s\r\n", i, strings.Repeat("a", 4096-20))
	}
	b.WriteString("\r\n")
	answer := []byte(b.String())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 4096)
				_, _ = conn.Read(buf) // the request: small, one read
				_, _ = conn.Write(answer)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// BenchmarkHugeHeaders: what one request to a receiver answering with
// 1 MiB of headers allocates, with the bound and with net/http's default
// (10 MB): go test ./egress -run XXX -bench HugeHeaders -benchmem
func BenchmarkHugeHeaders(b *testing.B) {
	url := rawHeaders(b, 1<<20)
	for _, limit := range []int64{MaxResponseHeaderBytes, 0} {
		name := map[int64]string{MaxResponseHeaderBytes: "bounded", 0: "net-http-default"}[limit]
		b.Run(name, func(b *testing.B) {
			client := (&Guard{AllowPrivate: true}).Client(0)
			client.Transport.(*http.Transport).MaxResponseHeaderBytes = limit
			for b.Loop() {
				resp, err := client.Get(url)
				if err == nil {
					resp.Body.Close()
				}
				if (err != nil) != (limit != 0) {
					b.Fatalf("limit %d: err = %v", limit, err)
				}
			}
		})
	}
}
