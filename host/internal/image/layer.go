package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// epoch is every file's time in the layer and the image's creation time:
// the same inputs give the same bytes.
func epoch() time.Time { return time.Unix(0, 0).UTC() }

// entry is one file of the layer.
type entry struct {
	name string // path in the image, without the leading slash
	mode int64  // permission bits
	dir  bool
	link string // a symlink's target
	src  string // the file the contents come from, or
	data []byte // the contents
}

// files is the layer's content, by path in the image.
type files map[string]entry

// add puts e in, with its parent directories (0755 unless already there).
func (fs files) add(e entry) {
	e.name = strings.TrimPrefix(path.Clean("/"+e.name), "/")
	fs[e.name] = e
	for dir := path.Dir(e.name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if _, ok := fs[dir]; ok {
			break
		}
		fs[dir] = entry{name: dir, mode: 0o755, dir: true}
	}
}

// writeLayer writes fs as a gzipped tar to out: entries sorted by name,
// owned by root, every time the epoch, nothing of the host in the headers.
func writeLayer(fs files, out string) (err error) {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create layer: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write layer: %w", cerr)
		}
	}()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	names := make([]string, 0, len(fs))
	for name := range fs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := writeEntry(tw, fs[name]); err != nil {
			return fmt.Errorf("write layer: %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	return nil
}

func writeEntry(tw *tar.Writer, e entry) error {
	hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: epoch()}
	var body io.Reader
	switch {
	case e.dir:
		hdr.Typeflag, hdr.Name = tar.TypeDir, e.name+"/"
	case e.link != "":
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.link
	case e.src != "":
		f, err := os.Open(e.src)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // read only
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		body = io.LimitReader(f, fi.Size())
	default:
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.data))
		body = bytes.NewReader(e.data)
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if body == nil {
		return nil
	}
	n, err := io.Copy(tw, body)
	if err != nil {
		return err
	}
	if n != hdr.Size {
		return fmt.Errorf("%s changed while the layer was written", e.src)
	}
	return nil
}
