package state

import (
	"archive/tar"
	"bufio"
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

// Limits of the state bag. Going over one fails the run and names the
// limit; nothing is ever cut short.
const (
	// MaxFile bounds one state file, unpacked or packed.
	MaxFile = 1 << 30
	// MaxUnpacked bounds what a bag unpacks to, entries that name no
	// variable included (a small bag of zeros can unpack to terabytes).
	MaxUnpacked = 4 << 30
)

// Var is one state variable: its name and where its file is on this host,
// under the root given to Unpack and Pack.
type Var struct {
	Name string
	Path string
}

var (
	// ErrCorrupt is returned for a state bag that is neither "null", base64
	// of a tar.gz, nor a tar.gz.
	ErrCorrupt = errors.New("corrupt state bag")
	// ErrLimit is wrapped by the error of a state file or bag over one of
	// the limits above.
	ErrLimit = errors.New("state over its limit")
)

// Decode returns the tar.gz bytes of a state bag as found on disk, or nil for
// no state ("null", empty).
func Decode(data []byte) ([]byte, error) {
	r, err := decode(bytes.NewReader(data))
	if err != nil || r == nil {
		return nil, err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return b, nil
}

// Open opens the state bag at path (a host path under root; "" or "/" is
// the real paths) through the root, without following a symbolic link out
// of it, and returns its tar.gz stream, decoded from base64 when it is text.
// It returns nil and no error for no state ("null", empty); a missing bag
// matches fs.ErrNotExist. The caller closes the stream.
func Open(root, path string) (io.ReadCloser, error) {
	r, rel, err := openRoot(root, path)
	if err != nil {
		return nil, fmt.Errorf("open state bag %s: %w", path, err)
	}
	defer func() { _ = r.Close() }() // an open file outlives its root
	f, err := openRegular(r, rel)
	if err != nil {
		return nil, fmt.Errorf("open state bag: %w", err)
	}
	dec, err := decode(f)
	if err != nil || dec == nil {
		_ = f.Close() // read only
		return nil, err
	}
	return stream{Reader: dec, f: f}, nil
}

// stream is a decoded bag; closing it closes the file.
type stream struct {
	io.Reader
	f *os.File
}

func (s stream) Close() error { return s.f.Close() }

// decode turns a state bag as stored (raw tar.gz, base64 text with any
// whitespace, "null" or nothing) into its tar.gz stream; nil for no state.
func decode(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return br, nil
	}
	text := bufio.NewReader(&noSpace{r: br})
	if head, err := text.Peek(5); len(head) == 0 || (string(head) == "null" && errors.Is(err, io.EOF)) {
		return nil, nil
	}
	raw := bufio.NewReader(base64.NewDecoder(base64.StdEncoding, text))
	head, err := raw.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return raw, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: not a tar.gz and not base64: %w", ErrCorrupt, err)
	}
	small, err := io.ReadAll(io.LimitReader(raw, 64))
	if err != nil {
		return nil, fmt.Errorf("%w: not a tar.gz and not base64: %w", ErrCorrupt, err)
	}
	if t := bytes.TrimSpace(small); len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	return nil, fmt.Errorf("%w: the base64 text does not hold a tar.gz", ErrCorrupt)
}

// noSpace drops ASCII white space from what it reads.
type noSpace struct{ r io.Reader }

func (n *noSpace) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// Unpack writes the entries of the tar.gz stream bag to the paths of vars,
// creating parent directories, through an os.Root at root ("" or "/" for
// the real paths): a path that leads outside root, through a symbolic link
// too, fails. Each file is written to a temporary name and renamed, so a
// symbolic link at its own path is replaced, never followed. Entries that
// name no variable, that are not regular files, or whose names are not
// plain (`..`, absolute) are skipped. An entry over MaxFile or a bag over
// MaxUnpacked fails with ErrLimit. It returns the names written.
func Unpack(bag io.Reader, root string, vars []Var) ([]string, error) {
	return unpack(bag, root, vars, MaxFile, MaxUnpacked)
}

func unpack(bag io.Reader, root string, vars []Var, maxFile, maxUnpacked int64) ([]string, error) {
	if bag == nil {
		return nil, nil
	}
	r, err := os.OpenRoot(rootDir(root))
	if err != nil {
		return nil, fmt.Errorf("unpack state: %w", err)
	}
	defer func() { _ = r.Close() }() // nothing to flush
	paths := make(map[string]string, len(vars))
	for _, v := range vars {
		paths[v.Name] = v.Path
	}
	zr, err := gzip.NewReader(bag)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	counted := &budget{r: zr, left: maxUnpacked}
	tr := tar.NewReader(counted)
	var written []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if counted.over {
			return written, overBag(maxUnpacked)
		}
		if err != nil {
			return written, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		name, ok := strings.CutPrefix(hdr.Name, Prefix)
		if !ok || hdr.Typeflag != tar.TypeReg || name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			continue
		}
		path, ok := paths[name]
		if !ok {
			continue
		}
		if hdr.Size > maxFile {
			return written, fmt.Errorf("unpack state %s: %w: the entry is %s, over the %s limit of one state file",
				name, ErrLimit, size(hdr.Size), size(maxFile))
		}
		if err := writeFile(r, root, path, tr); err != nil {
			if counted.over {
				return written, overBag(maxUnpacked)
			}
			return written, fmt.Errorf("unpack state %s to %s: %w", name, logical(root, path), escaped(root, path, err))
		}
		written = append(written, name)
	}
	return written, nil
}

func overBag(limit int64) error {
	return fmt.Errorf("unpack state: %w: the bag unpacks to more than %s, the limit of a state bag", ErrLimit, size(limit))
}

// budget reads r and fails once more than left bytes came.
type budget struct {
	r    io.Reader
	left int64
	over bool
}

func (b *budget) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.over = true
		return n, ErrLimit
	}
	return n, err
}

// writeFile writes the contents of src to path (a host path under root)
// through r: a temporary file beside it, then a rename over it.
func writeFile(r *os.Root, root, path string, src io.Reader) error {
	rel, err := relative(root, path)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(rel); dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := filepath.Join(filepath.Dir(rel), "."+filepath.Base(rel)+".mixbox-state")
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		if err := r.Remove(tmp); err != nil {
			return err
		}
		f, err = r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o644)
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.Rename(tmp, rel)
	}
	if err != nil {
		_ = r.Remove(tmp) // the error is the one to report
	}
	return err
}

// Pack writes the state bag of vars to dst (a host path under root),
// reading each file through an os.Root at root: a path that leads outside
// it through a symbolic link fails, so nothing outside the root is packed.
// Missing files are skipped; an empty bag is still written, as Porter does.
// A file over MaxFile fails with ErrLimit. The bag is written to a
// temporary file and renamed into place.
func Pack(dst, root string, vars []Var) (err error) {
	r, err := os.OpenRoot(rootDir(root))
	if err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	defer func() { _ = r.Close() }() // closed files only
	rel, err := relative(root, dst)
	if err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	if err := r.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	tmp := rel + ".mixbox-tmp"
	out, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	defer func() {
		if err != nil {
			_ = out.Close()   // the error is the one to report
			_ = r.Remove(tmp) // a partial bag must not stay
		}
	}()
	zw := gzip.NewWriter(out)
	tw := tar.NewWriter(zw)
	for _, v := range vars {
		if err := packFile(tw, r, root, v); err != nil {
			return err
		}
	}
	if err := errors.Join(tw.Close(), zw.Close(), out.Close()); err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	if err := r.Rename(tmp, rel); err != nil {
		return fmt.Errorf("pack state: %w", err)
	}
	return nil
}

// packFile adds the file of v to tw, if it exists.
func packFile(tw *tar.Writer, r *os.Root, root string, v Var) error {
	rel, err := relative(root, v.Path)
	if err != nil {
		return fmt.Errorf("pack state %s: %w", v.Name, err)
	}
	f, err := openRegular(r, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pack state %s from %s: %w", v.Name, logical(root, v.Path), escaped(root, v.Path, err))
	}
	defer func() { _ = f.Close() }() // read only
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("pack state %s: %w", v.Name, err)
	}
	if fi.Size() > MaxFile {
		return fmt.Errorf("pack state %s: %w: the file is %s, over the %s limit of one state file", v.Name, ErrLimit, size(fi.Size()), size(MaxFile))
	}
	hdr := &tar.Header{
		Name:     Prefix + v.Name,
		Mode:     0o644,
		Size:     fi.Size(),
		ModTime:  time.Unix(0, 0),
		Typeflag: tar.TypeReg,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("pack state %s: %w", v.Name, err)
	}
	if _, err := io.Copy(tw, io.LimitReader(f, fi.Size())); err != nil {
		return fmt.Errorf("pack state %s: %w", v.Name, err)
	}
	return nil
}

// openRegular opens rel under r for reading without blocking (a FIFO's
// open waits for a writer) and refuses anything but a regular file.
func openRegular(r *os.Root, rel string) (*os.File, error) {
	f, err := r.OpenFile(rel, os.O_RDONLY|oNonBlock, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &fs.PathError{Op: "open", Path: rel, Err: errors.New("not a regular file")}
	}
	if err != nil {
		_ = f.Close() // read only
		return nil, err
	}
	return f, nil
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
		if hdr.Size > MaxFile {
			return nil, fmt.Errorf("read state %s: %w: the entry is %s, over the %s limit of one state file", hdr.Name, ErrLimit, size(hdr.Size), size(MaxFile))
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		out[hdr.Name] = data
	}
}

// ErrOutside is wrapped by the error of a state path that leads outside the
// root through a symbolic link.
var ErrOutside = errors.New("leads outside the root through a symbolic link")

// escaped words err, which an os.Root operation on p returned, as
// ErrOutside when p's symbolic links lead out of root.
func escaped(root, p string, err error) error {
	realRoot, rerr := filepath.EvalSymlinks(rootDir(root))
	if rerr != nil {
		return err
	}
	for q := p; q != filepath.Dir(q); q = filepath.Dir(q) {
		if _, lerr := os.Lstat(q); lerr != nil {
			continue // the deepest part that exists decides
		}
		resolved, eerr := filepath.EvalSymlinks(q)
		if eerr != nil {
			return err
		}
		if rel, rerr := filepath.Rel(realRoot, resolved); rerr != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%w (%s is %s)", ErrOutside, logical(root, q), resolved)
		}
		return err
	}
	return err
}

// rootDir is the directory of an os.Root for root.
func rootDir(root string) string {
	if root == "" {
		return "/"
	}
	return root
}

// openRoot opens the root and returns path relative to it.
func openRoot(root, path string) (*os.Root, string, error) {
	rel, err := relative(root, path)
	if err != nil {
		return nil, "", err
	}
	r, err := os.OpenRoot(rootDir(root))
	if err != nil {
		return nil, "", err
	}
	return r, rel, nil
}

// relative returns the host path p relative to root; p must be under it.
func relative(root, p string) (string, error) {
	rel, err := filepath.Rel(rootDir(root), p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is not under the root %s", p, rootDir(root))
	}
	return rel, nil
}

// logical is p as the bundle names it: without the root.
func logical(root, p string) string {
	if rel, err := relative(root, p); err == nil && rootDir(root) != "/" {
		return "/" + filepath.ToSlash(rel)
	}
	return p
}

// size words n bytes.
func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}
