package exec

import (
	"context"
	"io/fs"
	osexec "os/exec"
	"path"
	"strings"
	"testing/fstest"

	"github.com/mixbox/mixbox/wasmabi"
	"github.com/mixbox/mixbox/wasmabi/guest"
)

// reply is the fake host's answer to one command line.
type reply struct {
	res wasmabi.ExecResult
	err error
}

// fakeHost is a guest.Host that answers exec requests from a table keyed by
// "command arg1 arg2 ..." and records every call. Like the wasm backend it
// cannot look names up on the PATH; see nativeFake.
type fakeHost struct {
	replies map[string]reply
	files   fstest.MapFS // logical paths without the leading "/"
	calls   []wasmabi.ExecRequest
	outputs map[string]string
}

var _ guest.Host = (*fakeHost)(nil)

func newFake(replies map[string]reply) *fakeHost {
	return &fakeHost{replies: replies, files: fstest.MapFS{}, outputs: map[string]string{}}
}

func (f *fakeHost) Exec(_ context.Context, req wasmabi.ExecRequest) (wasmabi.ExecResult, error) {
	f.calls = append(f.calls, req)
	key := strings.Join(append([]string{req.Command}, req.Args...), " ")
	r, ok := f.replies[key]
	if !ok {
		return wasmabi.ExecResult{}, &guest.ExecError{Status: wasmabi.ENotFound}
	}
	return r.res, r.err
}

func (f *fakeHost) SetOutput(name string, value []byte) error {
	if !wasmabi.ValidOutputName(name) {
		return wasmabi.EInval
	}
	f.outputs[name] = string(value)
	return nil
}

func (f *fakeHost) Log(wasmabi.LogLevel, string) error { return nil }
func (f *fakeHost) Mask(string) error                  { return nil }
func (f *fakeHost) Getwd() (string, error)             { return guest.AppDir, nil }

func (f *fakeHost) key(name string) string {
	if !path.IsAbs(name) {
		name = path.Join(guest.AppDir, name)
	}
	return strings.TrimPrefix(name, "/")
}

func (f *fakeHost) ReadFile(name string) ([]byte, error) {
	b, err := fs.ReadFile(f.files, f.key(name))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return b, nil
}

func (f *fakeHost) Stat(name string) (fs.FileInfo, error) {
	fi, err := fs.Stat(f.files, f.key(name))
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fi, nil
}

// nativeFake is a fakeHost that also resolves bare names, like the native
// backend: paths maps a name to where it is on the PATH; a relative path is
// a name found through a relative PATH entry, which LookPath refuses.
type nativeFake struct {
	*fakeHost
	paths map[string]string
}

var _ guest.PathLooker = nativeFake{}

func (n nativeFake) LookPath(name string) (string, error) {
	if p, ok := n.paths[name]; ok && !path.IsAbs(p) {
		return "", &osexec.Error{Name: name, Err: osexec.ErrDot}
	} else if ok {
		return p, nil
	}
	return "", &guest.ExecError{Status: wasmabi.ENotFound}
}
