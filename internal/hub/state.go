package hub

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Bookkeeping files beside a cached file FILE:
//
//	FILE.part            the download in progress (a prefix of the remote file)
//	FILE.part.meta.json  what the remote file was when the part was started
//	FILE.meta.json       what FILE was verified against, written after FILE is in place
//
// FILE itself only ever appears by an atomic rename of a complete,
// checked part, so its presence means it passed the checks.
const (
	partSuffix = ".part"
	metaSuffix = ".meta.json"
)

// state describes a remote file as the hub announced it.
type state struct {
	URL      string `json:"url"`
	ETag     string `json:"etag,omitempty"`   // the hub's identifier of the content; "" if it sent none
	SHA256   string `json:"sha256,omitempty"` // published digest (LFS files), "" if none
	Size     int64  `json:"size"`             // -1 when unknown
	Commit   string `json:"commit,omitempty"`
	Verified bool   `json:"sha256_verified,omitempty"` // FILE.meta.json only: the digest was checked
}

// readState reads a sidecar; ok is false when it is missing or unreadable,
// which callers treat as "nothing known".
func readState(path string) (st state, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return state{}, false
	}
	if json.Unmarshal(b, &st) != nil {
		return state{}, false
	}
	return st, true
}

// writeState writes a sidecar through a temporary file and a rename, so a
// reader never sees half of one.
func writeState(path string, st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
