package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// Benchmarks of the per-request hot path of ingest, one sub-benchmark per
// Boooply sample: go test -run '^$' -bench . -benchmem ./webhooks

func sampleBodies(b *testing.B) map[string][]byte {
	b.Helper()
	out := map[string][]byte{}
	for _, et := range EventTypes() {
		if et.Sample == "" {
			continue
		}
		body, err := Sample(et.Name)
		if err != nil {
			b.Fatal(err)
		}
		out[et.Name] = body
	}
	return out
}

func BenchmarkVerifyEachSample(b *testing.B) {
	candidates := [][]byte{[]byte("whsec_bench")}
	for name, body := range sampleBodies(b) {
		m := hmac.New(sha256.New, []byte("whsec_bench"))
		m.Write(body)
		sig := hex.EncodeToString(m.Sum(nil))
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := VerifyWith(candidates, body, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseInbound covers routing-field extraction and fingerprinting.
func BenchmarkParseInboundEachSample(b *testing.B) {
	for name, body := range sampleBodies(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseInbound(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFingerprintEachSample(b *testing.B) {
	for name, body := range sampleBodies(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fingerprint(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// longTranscriptRepeats makes longTranscript about 55 KB (544 turns), the size of one
// body in five under production load.
const longTranscriptRepeats = 272

// longTranscript is the transcript sample with its entries repeated.
func longTranscript(tb testing.TB) []byte {
	tb.Helper()
	body, err := Sample("interview.transcript")
	if err != nil {
		tb.Fatal(err)
	}
	entries := gjson.GetBytes(body, "data.transcript").Raw
	entries = entries[1 : len(entries)-1]
	long := "[" + entries + strings.Repeat(","+entries, longTranscriptRepeats-1) + "]"
	if body, err = sjson.SetRawBytes(body, "data.transcript", []byte(long)); err != nil {
		tb.Fatal(err)
	}
	return body
}

func BenchmarkParseInboundLongTranscript(b *testing.B) {
	body := longTranscript(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseInbound(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprintLongTranscript(b *testing.B) {
	body := longTranscript(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fingerprint(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignEachSample measures the outgoing Standard Webhooks signature
// of a delivery (SignatureHeader over id.timestamp.body), with one key and
// with two while a secret rotates.
func BenchmarkSignEachSample(b *testing.B) {
	one := [][]byte{[]byte("0123456789abcdef0123456789abcdef")}
	two := append(one, []byte("fedcba9876543210fedcba9876543210"))
	for name, body := range sampleBodies(b) {
		for _, keys := range []struct {
			name string
			keys [][]byte
		}{{"one-key", one}, {"two-keys", two}} {
			b.Run(name+"/"+keys.name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if SignatureHeader(keys.keys, "msg_2wBm2t8vMZ3LqL6JtCzaBzCjVnK", 1774118100, body) == "" {
						b.Fatal("empty signature")
					}
				}
			})
		}
	}
}
