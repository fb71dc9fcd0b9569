package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestAPIErrorShape: every error a client can meet on /api/v1, whether a
// handler, the gate, the router or the body limit produced it, is JSON
// (Content-Type application/json) in the one shape {"code","message","details"}
// with details an array, even when it names no field; 405 says which methods
// the path has in Allow.
func TestAPIErrorShape(t *testing.T) {
	a := newTestAPI(t)
	_, tokens, f := roleSetup(t, a)
	base := apiServer(t, a)
	for _, tc := range []struct {
		name, method, path, ctype, body string
		admin, headersOnly              bool
		want                            int
		wantAllow                       string
	}{
		{name: "no credentials", method: "GET", path: "/api/v1/tenants", want: 401},
		{name: "unknown path", method: "GET", path: "/api/v1/nope", admin: true, want: 404},
		{name: "unknown path without credentials", method: "GET", path: "/api/v1/nope", want: 404},
		{name: "unknown tenant", method: "GET", path: "/api/v1/tenants/999999", admin: true, want: 404},
		{name: "method the path lacks", method: "PUT", path: "/api/v1/tenants", admin: true, want: 405, wantAllow: "GET, HEAD, POST"},
		{name: "OPTIONS", method: "OPTIONS", path: "/api/v1/tenants/{T}", admin: true, want: 405, wantAllow: "GET, HEAD, DELETE, PATCH"},
		{name: "not JSON", method: "POST", path: "/api/v1/tenants", ctype: "text/plain", body: "x", admin: true, want: 415},
		{name: "malformed JSON", method: "POST", path: "/api/v1/tenants", ctype: "application/json", body: "{", admin: true, want: 400},
		{name: "conflict", method: "DELETE", path: "/api/v1/tenants/{T}", admin: true, want: 409},
		{name: "viewer may not", method: "POST", path: "/api/v1/sources", ctype: "application/json", body: "{}", want: 403},
		// Headers only: the server answers from Content-Length, and sending
		// the 2 MB could meet a reset connection before the answer is read.
		{name: "too large", method: "POST", path: "/api/v1/tenants", ctype: "application/json",
			body: strings.Repeat("x", 2<<20), admin: true, headersOnly: true, want: 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+f.expand(tc.path), strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.admin {
				req.Header.Set("Authorization", "Bearer "+tokens["admin"])
			} else if tc.want == 403 {
				req.Header.Set("Authorization", "Bearer "+tokens["viewer"])
			}
			do := http.DefaultClient.Do
			if tc.headersOnly {
				do = sendHeadersOnly
			}
			res, err := do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(res.Body)
			if res.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d (%s)", res.StatusCode, tc.want, buf.String())
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if got := res.Header.Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
			var e map[string]any
			if err := json.Unmarshal(buf.Bytes(), &e); err != nil {
				t.Fatalf("body %q is not JSON: %v", buf.String(), err)
			}
			_, code := e["code"].(string)
			_, msg := e["message"].(string)
			_, details := e["details"].([]any)
			if !code || !msg || !details || len(e) != 3 {
				t.Errorf("body = %s, want exactly code and message strings and a details array", buf.String())
			}
		})
	}
}

// sendHeadersOnly writes req's request line and headers (with its
// Content-Length) but not its body, and reads the answer.
func sendHeadersOnly(req *http.Request) (*http.Response, error) {
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		return nil, err
	}
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", req.Method, req.URL.RequestURI(), req.URL.Host, req.ContentLength)
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		conn.Close()
		return nil, err
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	conn.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, err
}
