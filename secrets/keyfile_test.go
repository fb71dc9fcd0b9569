package secrets

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "secret.key")

	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1.b) != 32 {
		t.Fatalf("first call: %d-byte key, created %v, err %v; want 32 bytes, true, nil", len(k1.b), created, err)
	}
	wantMode(t, path, 0o600)
	wantMode(t, dir, 0o700)

	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1.b, k2.b) {
		t.Fatalf("second call: key %s, created %v, err %v; want %s, false, nil", k2, created, err, k1)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("directory holds %v (err %v), want only the key file", entries, err)
	}
}

func TestLoadOrCreateKeyFileExisting(t *testing.T) {
	want := seq(40, 32)
	cases := []struct {
		name, content string
		wantErr       string
	}{
		{name: "hex with newline", content: hex.EncodeToString(want) + "\n"},
		{name: "padded with spaces", content: "  " + hex.EncodeToString(want) + "  \r\n"},
		{name: "too short", content: hex.EncodeToString(want[:16]), wantErr: "16 bytes"},
		{name: "empty", content: "", wantErr: "empty"},
		{name: "garbage", content: "this is not a key at all!", wantErr: "neither hex nor base64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "secret.key")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, created, err := LoadOrCreateKeyFile(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || created {
					t.Fatalf("err = %v, created %v; want it to mention %q, false", err, created, tc.wantErr)
				}
				if c := strings.TrimSpace(tc.content); c != "" && strings.Contains(err.Error(), c) {
					t.Fatalf("error %q echoes the file content", err)
				}
				return
			}
			if err != nil || created || !bytes.Equal(got.b, want) {
				t.Fatalf("got %x, created %v, err %v; want %x, false, nil", got.b, created, err, want)
			}
		})
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "secret.key")
	const n = 16
	keys := make([]Key, n)
	createdBy := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], createdBy[i], errs[i] = LoadOrCreateKeyFile(path) })
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i].b, keys[0].b) {
			t.Fatalf("caller %d got key %s, caller 0 got %s", i, keys[i], keys[0])
		}
		if createdBy[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Fatalf("%d callers report creating the file, want 1", creators)
	}
	onDisk := mustReadKeyFile(t, path)
	if !bytes.Equal(onDisk.b, keys[0].b) {
		t.Fatalf("file holds %s, callers got %s", onDisk, keys[0])
	}
}

func mustReadKeyFile(t testing.TB, path string) Key {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return mustParseKey(t, string(b))
}

func wantMode(t testing.TB, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // no Unix permission bits
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Fatalf("%s has mode %o, want %o", path, got, want)
	}
}
