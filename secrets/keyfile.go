package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Another process may be between creating and writing the key file when it only could use the O_EXCL
// fallback; a loser of that race waits this long for the content.
const (
	keyFileWaitStep  = 10 * time.Millisecond
	keyFileWaitSteps = 100
)

// LoadOrCreateKeyFile reads the key stored at path (surrounding whitespace ignored) or, if the file does not
// exist, creates it with a fresh GenerateKey key, mode 0600, creating missing parent directories with mode
// 0700. created reports whether this call wrote the file. Creation is atomic: processes racing on the same
// path all end with the winner's key. An existing file is not chmod-ed or checked for its mode; an existing
// file that does not hold a valid key is an error (the content is never echoed).
func LoadOrCreateKeyFile(path string) (key Key, created bool, err error) {
	key, err = readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, false, fmt.Errorf("create key directory: %w", err)
	}
	s, err := GenerateKey()
	if err != nil {
		return Key{}, false, err
	}
	err = createExclusive(path, []byte(s+"\n"))
	if errors.Is(err, fs.ErrExist) {
		key, err = waitKeyFile(path)
		return key, false, err
	} else if err != nil {
		return Key{}, false, fmt.Errorf("create key file %s: %w", path, err)
	}
	key, err = ParseKey(s)
	return key, true, err
}

func readKeyFile(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("read key file: %w", err)
	}
	key, err := ParseKey(string(b))
	if err != nil {
		return Key{}, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}

// waitKeyFile reads a key file another process just created, giving it time to finish writing.
func waitKeyFile(path string) (Key, error) {
	for range keyFileWaitSteps {
		b, err := os.ReadFile(path)
		if err != nil || strings.TrimSpace(string(b)) != "" {
			break
		}
		time.Sleep(keyFileWaitStep)
	}
	return readKeyFile(path)
}

// createExclusive writes data to a temporary file and hard-links it into place, so path appears complete or
// not at all, and fails with fs.ErrExist if path exists. Where hard links are unsupported it falls back to
// O_EXCL, whose file is briefly empty (waitKeyFile covers that).
func createExclusive(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".switchboard-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSync(tmp, data); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := writeSync(f, data); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// writeSync writes, syncs and closes f (os.CreateTemp already made it 0600).
func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
