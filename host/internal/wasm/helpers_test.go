package wasm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/wasmabi"
)

// testCtx is a non-Background context, as wazero's tests use.
var testCtx = context.WithValue(context.Background(), struct{ name string }{"test"}, "wasm")

// guest returns the committed test guest testdata/NAME.wasm.
func guest(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".wasm"))
	require.NoError(t, err, "build the test guests with: make -C host/internal/wasm/testdata")
	return b
}

// newEngine returns an engine closed at the end of the test.
func newEngine(t testing.TB, opts EngineOptions) *Engine {
	t.Helper()
	if opts.Version == "" {
		opts.Version = "v0.0.0-test"
	}
	e, err := NewEngine(testCtx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close(testCtx)) })
	return e
}

// load loads testdata/NAME.wasm in e as mixin "probe". In an engine with
// a disk cache it is what a later process does: an earlier one has loaded
// the module (and learnt its stand-in), and e loads it through the
// stand-in.
func load(t testing.TB, e *Engine, name string) *Module {
	t.Helper()
	bin := guest(t, name)
	standIn := e.DiskCache() && !e.Interpreter()
	if standIn {
		first := newEngine(t, EngineOptions{CacheDir: e.cacheDir})
		_, err := first.Load(testCtx, "probe", bin)
		require.NoError(t, err)
	}
	m, err := e.Load(testCtx, "probe", bin)
	require.NoError(t, err)
	if standIn && m.compiled != nil {
		require.True(t, m.standIn, "%s loads through its stand-in", name)
	}
	return m
}

// stdio is an in-memory step.IO that records masked values.
type stdio struct {
	mu             sync.Mutex
	stdout, stderr bytes.Buffer
	masked         []string
	lines          []string // step.IO.Log: mixbox's own lines
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (s *stdio) io(debug bool) step.IO {
	return step.IO{
		Stdout: lockedWriter{&s.mu, &s.stdout},
		Stderr: lockedWriter{&s.mu, &s.stderr},
		Mask: func(v string) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.masked = append(s.masked, v)
		},
		Log:   s.logLine,
		Debug: debug,
	}
}

func (s *stdio) logLine(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, line)
}

func (s *stdio) logged() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

func (s *stdio) out() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String()
}

func (s *stdio) err() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// fakeExecutor answers exec calls: "rm" is denied, "missing" not found,
// "boom" a host failure, "panic" panics, anything else prints and succeeds.
type fakeExecutor struct {
	mu    sync.Mutex
	calls []hostexec.Call
}

func (f *fakeExecutor) Exec(ctx context.Context, c hostexec.Call) (wasmabi.ExecResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	switch c.Request.Command {
	case "rm":
		return wasmabi.ExecResult{}, fmt.Errorf("%w: command rm is not granted to mixin %s (no exec rule names it)", wasmabi.EDenied, c.Mixin)
	case "missing":
		return wasmabi.ExecResult{}, fmt.Errorf("look up missing: %w", wasmabi.ENotFound)
	case "boom":
		return wasmabi.ExecResult{}, fmt.Errorf("start boom: host exploded")
	case "panic":
		panic("executor bug")
	case "sleep":
		<-ctx.Done()
		return wasmabi.ExecResult{ExitCode: -1, TimedOut: true}, nil
	}
	if c.Request.Streams() {
		_, _ = fmt.Fprintf(c.Stdout, "ran %s %s\n", c.Request.Command, strings.Join(c.Request.Args, " "))
	}
	return wasmabi.ExecResult{Stdout: "v3.14.0\n", DurationMS: 1}, nil
}

func (f *fakeExecutor) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Request.Command)
	}
	return out
}

// fakeMem is a linear memory for driving host functions without wazero.
type fakeMem struct{ buf []byte }

func (m *fakeMem) Size() uint32 { return uint32(len(m.buf)) }

func (m *fakeMem) Read(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(len(m.buf)) {
		return nil, false
	}
	return m.buf[off : off+n], true
}

func (m *fakeMem) Write(off uint32, v []byte) bool {
	if uint64(off)+uint64(len(v)) > uint64(len(m.buf)) {
		return false
	}
	copy(m.buf[off:], v)
	return true
}

// put copies b into m at off and returns off.
func (m *fakeMem) put(off uint32, b string) uint32 {
	copy(m.buf[off:], b)
	return off
}

// le32 decodes a status recorded by a test guest.
func le32(t *testing.T, b []byte) int32 {
	t.Helper()
	require.Len(t, b, 4)
	return int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}
