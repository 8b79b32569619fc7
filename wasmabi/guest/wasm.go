//go:build wasip1

package guest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"unsafe"

	"github.com/mixbox/mixbox/wasmabi"
)

//go:wasmimport mixbox_v1 exec
func hostExec(reqPtr unsafe.Pointer, reqLen uint32) int32

//go:wasmimport mixbox_v1 response_read
func hostResponseRead(bufPtr unsafe.Pointer, bufCap uint32) int32

//go:wasmimport mixbox_v1 output_set
func hostOutputSet(namePtr unsafe.Pointer, nameLen uint32, valPtr unsafe.Pointer, valLen uint32) int32

//go:wasmimport mixbox_v1 log
func hostLog(level int32, msgPtr unsafe.Pointer, msgLen uint32) int32

//go:wasmimport mixbox_v1 mask
func hostMask(valPtr unsafe.Pointer, valLen uint32) int32

type wasmHost struct{}

var _ Host = wasmHost{}

// Default returns the wasm backend: the mixbox_v1 host functions, and the
// read-only bundle mount at /cnab/app for files.
func Default() Host { return wasmHost{} }

// ptr returns the address of b's first byte, nil for an empty slice.
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(unsafe.SliceData(b))
}

// status turns a host function's result into an error when negative.
func status(rc int32) error {
	if rc < 0 {
		return wasmabi.Status(rc)
	}
	return nil
}

// Exec calls mixbox_v1.exec and reads the staged ExecResult. It asks for
// the captured output raw (raw_output): the host keeps it until it is read,
// and it is read once, into the string the result holds, never escaped into
// JSON and decoded again. A host that does not know raw_output or discard
// (E_INVAL) is asked again without them.
func (wasmHost) Exec(ctx context.Context, req wasmabi.ExecRequest) (wasmabi.ExecResult, error) {
	if err := ctx.Err(); err != nil {
		return wasmabi.ExecResult{}, fmt.Errorf("exec %s: %w", req.Command, err)
	}
	req.RawOutput = true
	b, err := wasmabi.Encode(req)
	if err != nil {
		return wasmabi.ExecResult{}, err
	}
	rc := hostExec(ptr(b), uint32(len(b)))
	if wasmabi.Status(rc) == wasmabi.EInval {
		req.RawOutput, req.Discard = false, nil
		if b, err = wasmabi.Encode(req); err != nil {
			return wasmabi.ExecResult{}, err
		}
		rc = hostExec(ptr(b), uint32(len(b)))
	}
	if rc < 0 {
		return wasmabi.ExecResult{}, &ExecError{Status: wasmabi.Status(rc)}
	}
	resp, err := readResponse(int(rc))
	if err != nil {
		return wasmabi.ExecResult{}, fmt.Errorf("read exec result of %s: %w", req.Command, err)
	}
	res, err := wasmabi.DecodeExecResult(resp)
	if err != nil {
		return wasmabi.ExecResult{}, err
	}
	for _, f := range []struct {
		n   int64
		dst *string
	}{{res.StdoutLen, &res.Stdout}, {res.StderrLen, &res.Stderr}} {
		if f.n <= 0 || !req.RawOutput {
			continue
		}
		out, err := readResponse(int(f.n))
		if err != nil {
			return wasmabi.ExecResult{}, fmt.Errorf("read the output of %s: %w", req.Command, err)
		}
		*f.dst = unsafe.String(unsafe.SliceData(out), len(out)) // out is not used again
	}
	res.StdoutLen, res.StderrLen = 0, 0
	return res, nil
}

// readResponse copies the staged response, growing the buffer on E_TOOSMALL.
func readResponse(size int) ([]byte, error) {
	if size < 1 {
		size = 1
	}
	for {
		buf := make([]byte, size)
		rc := hostResponseRead(ptr(buf), uint32(len(buf)))
		if wasmabi.Status(rc) == wasmabi.ETooSmall {
			size *= 2
			continue
		}
		if rc < 0 {
			return nil, wasmabi.Status(rc)
		}
		return buf[:rc], nil
	}
}

// SetOutput calls mixbox_v1.output_set.
func (wasmHost) SetOutput(name string, value []byte) error {
	n := []byte(name)
	if err := status(hostOutputSet(ptr(n), uint32(len(n)), ptr(value), uint32(len(value)))); err != nil {
		return fmt.Errorf("set output %q: %w", name, err)
	}
	return nil
}

// Log calls mixbox_v1.log.
func (wasmHost) Log(level wasmabi.LogLevel, msg string) error {
	m := []byte(msg)
	if err := status(hostLog(int32(level), ptr(m), uint32(len(m)))); err != nil {
		return fmt.Errorf("log: %w", err)
	}
	return nil
}

// Mask calls mixbox_v1.mask.
func (wasmHost) Mask(value string) error {
	v := []byte(value)
	if err := status(hostMask(ptr(v), uint32(len(v)))); err != nil {
		return fmt.Errorf("mask: %w", err)
	}
	return nil
}

// Getwd returns the guest's working directory, /cnab/app unless the host
// set another.
func (wasmHost) Getwd() (string, error) {
	wd, err := os.Getwd()
	if err != nil || wd == "" || wd == "/" {
		return AppDir, nil
	}
	return wd, nil
}

func (h wasmHost) abs(name string) string {
	if path.IsAbs(name) {
		return name
	}
	wd, _ := h.Getwd()
	return path.Join(wd, name)
}

// ReadFile reads through the read-only mount; errors name the path as given.
func (h wasmHost) ReadFile(name string) ([]byte, error) {
	b, err := os.ReadFile(h.abs(name))
	return b, relabel(err, name)
}

// Stat stats through the read-only mount; errors name the path as given.
func (h wasmHost) Stat(name string) (fs.FileInfo, error) {
	fi, err := os.Stat(h.abs(name))
	return fi, relabel(err, name)
}
