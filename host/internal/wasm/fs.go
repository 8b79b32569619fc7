package wasm

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// BundlePath is where the bundle directory appears inside the guest.
const BundlePath = "/cnab/app"

// Mount is a read-only host path shown to the guest at Guest. Host may be a
// directory or a file; a file that does not exist yet is mounted too (its
// parent directory must exist), so a command the guest runs can create it
// and the guest can read it afterwards.
type Mount struct {
	Host  string
	Guest string
}

// mounts builds the guest's file system: the bundle directory first (so a
// Go guest's working directory is /cnab/app), then the extra mounts, every
// one read-only and backed by os.Root so that no symlink leads out of it.
// The returned func closes the roots.
func mounts(bundleDir string, extra []Mount) (wazero.FSConfig, func(), error) {
	var roots []*os.Root
	closeAll := func() {
		for _, r := range roots {
			_ = r.Close() // read-only roots: nothing to flush
		}
	}
	plan, err := planMounts(bundleDir, extra)
	if err != nil {
		return nil, closeAll, err
	}
	out := wazero.NewFSConfig()
	for _, m := range plan {
		r, err := os.OpenRoot(m.host)
		if err != nil {
			return nil, closeAll, fmt.Errorf("%s: %w", m.what, err)
		}
		roots = append(roots, r)
		var fsys fs.FS = nonBlocking{r}
		if m.names != nil {
			fsys = &filesFS{fsys: fsys, names: m.names}
		}
		out = out.(sysfs.FSConfig).WithSysFSMount(&sysfs.ReadFS{FS: &sysfs.AdaptFS{FS: fsys}}, m.guest)
	}
	return out, closeAll, nil
}

// preopen is one directory the guest sees, in the order WASI numbers them.
type preopen struct {
	host  string
	guest string
	names []string // only these files of host, when it mounts files; nil: all of it
	what  string   // for errors: what opening it is
}

// planMounts returns the preopens of mounts, without opening them. The
// guest paths, in order, are all the guest learns of them before it opens
// a file (an initialization image depends on them, initimage.go).
func planMounts(bundleDir string, extra []Mount) ([]*preopen, error) {
	var plan []*preopen
	if bundleDir != "" {
		plan = append(plan, &preopen{host: bundleDir, guest: BundlePath, what: "open bundle directory"})
	}
	// Files are grouped by the guest directory that holds them.
	var files []*preopen
	for _, m := range extra {
		if !path.IsAbs(m.Guest) {
			return nil, fmt.Errorf("mount %s: guest path %q is not absolute", m.Host, m.Guest)
		}
		guest := path.Clean(m.Guest)
		st, err := os.Stat(m.Host)
		if err == nil && st.IsDir() {
			plan = append(plan, &preopen{host: m.Host, guest: guest, what: "mount " + m.Host})
			continue
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("mount %s: %w", m.Host, err)
		}
		hostDir, guestDir := filepath.Dir(m.Host), path.Dir(guest)
		i := slices.IndexFunc(files, func(f *preopen) bool { return f.host == hostDir && f.guest == guestDir })
		if i < 0 {
			files = append(files, &preopen{host: hostDir, guest: guestDir, names: []string{}, what: "mount files of " + hostDir})
			i = len(files) - 1
		}
		files[i].names = append(files[i].names, filepath.Base(m.Host))
	}
	return append(plan, files...), nil
}

// nonBlocking is the fs.FS of an os.Root whose files never block the
// host: it opens with O_NONBLOCK, so opening a FIFO (whose open(2) waits
// for a writer) returns at once, and anything but a regular file or a
// directory (a FIFO, a device, a socket) can be stat'ed and closed but
// fails every read with fs.ErrPermission. A guest can therefore never
// block a host call, and with it the step timeout, through the mount.
type nonBlocking struct{ root *os.Root }

func (n nonBlocking) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := n.root.OpenFile(name, os.O_RDONLY|oNonBlock, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close() // read only
		return nil, err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return statOnly{f: f, name: name}, nil
	}
	return f, nil
}

// statOnly is an open file that is not a regular file or a directory.
type statOnly struct {
	f    *os.File
	name string
}

func (s statOnly) Stat() (fs.FileInfo, error) { return s.f.Stat() }
func (s statOnly) Close() error               { return s.f.Close() }
func (s statOnly) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: s.name, Err: fs.ErrPermission}
}

// filesFS shows only some files of a directory: "." lists those that exist.
type filesFS struct {
	fsys  fs.FS
	names []string
}

func (f *filesFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		d := &namesDir{}
		for _, n := range f.names {
			if st, err := fs.Stat(f.fsys, n); err == nil && !st.IsDir() {
				d.entries = append(d.entries, fs.FileInfoToDirEntry(st))
			}
		}
		return d, nil
	}
	if !slices.Contains(f.names, name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.fsys.Open(name)
}

// namesDir is the "." of a filesFS.
type namesDir struct {
	entries []fs.DirEntry
	off     int
}

func (d *namesDir) Stat() (fs.FileInfo, error) { return dirInfo{}, nil }

func (d *namesDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errors.New("is a directory")}
}

func (d *namesDir) Close() error { return nil }

func (d *namesDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return rest, nil
}

type dirInfo struct{}

func (dirInfo) Name() string       { return "." }
func (dirInfo) Size() int64        { return 0 }
func (dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (dirInfo) ModTime() time.Time { return time.Time{} }
func (dirInfo) IsDir() bool        { return true }
func (dirInfo) Sys() any           { return nil }
