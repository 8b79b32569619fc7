package state

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Prefix is the directory of every entry in the state bag.
const Prefix = "porter-state/"

// maxEntry bounds the size of one unpacked state file.
const maxEntry = 1 << 30

// Var is one state variable: its name and where its file is on this host.
type Var struct {
	Name string
	Path string
}

// ErrCorrupt is returned for a state bag that is neither "null", base64 of a
// tar.gz, nor a tar.gz.
var ErrCorrupt = errors.New("corrupt state bag")

// Decode returns the tar.gz bytes of a state bag as found on disk, or nil for
// no state ("null", empty).
func Decode(data []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return data, nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(trimmed))
	if err != nil {
		return nil, fmt.Errorf("%w: not a tar.gz and not base64: %w", ErrCorrupt, err)
	}
	if len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	return raw, nil
}

// Unpack writes the entries of the tar.gz bag to the paths of vars, creating
// parent directories. Entries that name no variable are skipped. It returns
// the names written.
func Unpack(bag []byte, vars []Var) ([]string, error) {
	if len(bag) == 0 {
		return nil, nil
	}
	paths := make(map[string]string, len(vars))
	for _, v := range vars {
		paths[v.Name] = v.Path
	}
	zr, err := gzip.NewReader(bytes.NewReader(bag))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	tr := tar.NewReader(zr)
	var written []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return written, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name, ok := strings.CutPrefix(hdr.Name, Prefix)
		if !ok {
			continue
		}
		path, ok := paths[name]
		if !ok {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxEntry))
		if err != nil {
			return written, fmt.Errorf("%w: read %s: %w", ErrCorrupt, hdr.Name, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return written, fmt.Errorf("unpack state %s: %w", name, err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return written, fmt.Errorf("unpack state %s: %w", name, err)
		}
		written = append(written, name)
	}
	return written, nil
}

// Pack writes the state bag of vars to dst. Missing files are skipped; an
// empty bag is still written, as Porter does.
func Pack(dst string, vars []Var) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, v := range vars {
		data, err := os.ReadFile(v.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pack state %s: %w", v.Name, err)
		}
		hdr := &tar.Header{
			Name:     Prefix + v.Name,
			Mode:     0o644,
			Size:     int64(len(data)),
			ModTime:  time.Unix(0, 0),
			Typeflag: tar.TypeReg,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("pack state %s: %w", v.Name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("pack state %s: %w", v.Name, err)
		}
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	return nil
}

// Entries lists the regular files of a tar.gz bag with their contents.
func Entries(bag []byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	zr, err := gzip.NewReader(bytes.NewReader(bag))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxEntry))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		out[hdr.Name] = data
	}
}
