package wasm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
	"github.com/mixbox/mixbox/wasmabi"
)

// reactorRunner returns a runner of testdata/reactor.wasm with a bundle
// directory holding porter.yaml, closed at the end of the test.
func reactorRunner(t *testing.T, e *Engine, guestName string, limits policy.Limits) *Runner {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "porter.yaml"), []byte("name: demo\n"), 0o644))
	r := NewRunner(e, load(t, e, guestName), RunnerOptions{
		Policy:        policy.Mixin{Mount: true, Limits: limits},
		BundleDir:     dir,
		Executor:      &fakeExecutor{},
		Deterministic: &Deterministic{Seed: 3},
	})
	t.Cleanup(func() { require.NoError(t, r.Close(testCtx)) })
	return r
}

// reactorStep runs one step with stdin in and returns its result, log and
// error.
func reactorStep(t *testing.T, r *Runner, in string) (step.Result, string, error) {
	t.Helper()
	s := &stdio{}
	si := stepInput("install")
	si.Stdin = []byte(in)
	res, err := r.Run(testCtx, si, s.io(false))
	return res, s.out() + s.err(), err
}

func i32Outputs(t *testing.T, res step.Result, names ...string) map[string]int32 {
	t.Helper()
	got := map[string]int32{}
	for _, n := range names {
		if v, ok := res.Outputs[n]; ok {
			got[n] = le32(t, v)
		}
	}
	return got
}

func TestReactor_RestoresEveryStep(t *testing.T) {
	t.Parallel()
	modes := map[string]restoreMode{"cow": restoreCOW, "copy": restoreCopy}
	for engine, e := range engines(t) {
		for mode, m := range modes {
			t.Run(engine+"/"+mode, func(t *testing.T) {
				t.Parallel()
				r := reactorRunner(t, e, "reactor", policy.Limits{ExecCalls: 1})
				r.restore = m
				var logs string
				var first step.Result
				for i, in := range []string{"first input", "second", "3rd, the longest input of all"} {
					res, log, err := reactorStep(t, r, in)
					require.NoError(t, err, "step %d", i+1)
					logs += log
					assert.Equal(t, in, string(res.Outputs["stdin"]), "step %d reads its own input", i+1)
					assert.Equal(t, map[string]int32{
						"slot": int32(wasmabi.ENoResponse), "eof": 0, "global": 100, "cell": 7, "pages": 2, "newpage": 0,
					}, i32Outputs(t, res, "slot", "eof", "global", "cell", "pages", "newpage"), "step %d starts from the post-initialization state", i+1)
					if i == 0 {
						first = res
						continue
					}
					assert.Equal(t, first.Outputs["rand"], res.Outputs["rand"], "step %d: the same random bytes", i+1)
					assert.Equal(t, first.Outputs["mono"], res.Outputs["mono"], "step %d: the same clock", i+1)
				}
				assert.Equal(t, 1, strings.Count(logs, "reactor initialized"), "_initialize runs once: %s", logs)
			})
		}
	}
}

func TestReactor_Recovery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		first    string
		limits   policy.Limits
		wantErr  error
		wantCode int
		// wantInits is how many instances the two steps used.
		wantInits int
		// then is the second step's input and the outputs it must see.
		then     string
		wantThen map[string]int32
	}{
		{name: "a trap discards the instance", first: "t", wantErr: ErrTrap, wantCode: 1, wantInits: 2},
		{name: "proc_exit ends the step with its code", first: "x", wantErr: ErrExit, wantCode: 9, wantInits: 2},
		{name: "the step timeout discards the instance", first: "l", limits: policy.Limits{StepTimeout: 200 * time.Millisecond},
			wantErr: ErrStepTimeout, wantCode: 1, wantInits: 2},
		{name: "a non-zero result keeps the instance", first: "c", wantErr: ErrExit, wantCode: 5, wantInits: 1},
		{name: "a descriptor left open discards the instance", first: "o", wantInits: 2,
			then: "o", wantThen: map[string]int32{"fd": 4}},
		{name: "a preopen closed discards the instance", first: "k", wantInits: 2,
			then: "o", wantThen: map[string]int32{"fd": 4}},
		{name: "a memory grown to its maximum discards the instance", first: "g", wantInits: 2},
		{name: "a normal step keeps the instance", first: "a", wantInits: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for name, e := range engines(t) {
				r := reactorRunner(t, e, "reactor", tc.limits)
				res, log1, err := reactorStep(t, r, tc.first)
				assert.Equal(t, tc.wantCode, res.ExitCode, name)
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr, name)
				} else {
					require.NoError(t, err, name)
				}
				assert.Equal(t, int32(100), le32(t, res.Outputs["global"]), "%s: outputs set before the end survive", name)
				then := tc.then
				if then == "" {
					then = "a"
				}
				res, log2, err := reactorStep(t, r, then)
				require.NoError(t, err, name)
				want := map[string]int32{"global": 100, "cell": 7, "pages": 2, "newpage": 0}
				for k, v := range tc.wantThen {
					want[k] = v
				}
				assert.Equal(t, want, i32Outputs(t, res, "global", "cell", "pages", "newpage", "fd"), "%s: the next step starts clean", name)
				assert.Equal(t, tc.wantInits, strings.Count(log1+log2, "reactor initialized"), name)
			}
		})
	}
}

func TestReactor_TableWritesRunFresh(t *testing.T) {
	t.Parallel()
	for name, e := range engines(t) {
		r := reactorRunner(t, e, "reactortable", policy.Limits{})
		var logs string
		for range 3 {
			res, log, err := reactorStep(t, r, "")
			require.NoError(t, err, name)
			assert.Equal(t, int32(40), le32(t, res.Outputs["global"]), name)
			logs += log
		}
		assert.Equal(t, 3, strings.Count(logs, "table reactor initialized"), "%s: a new instance for every step", name)
	}
}

func TestReactor_BothExportsRunAsReactor(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	m := load(t, e, "both")
	assert.Equal(t, wasmabi.KindReactor, m.Info().Kind)
	r := reactorRunner(t, e, "both", policy.Limits{})
	res, _, err := reactorStep(t, r, "")
	require.NoError(t, err)
	assert.Equal(t, "step", string(res.Outputs["ran"]))
}

func TestReactor_NewInstanceFor(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	t.Run("another action", func(t *testing.T) {
		t.Parallel()
		r := reactorRunner(t, e, "reactor", policy.Limits{})
		s := &stdio{}
		for _, action := range []string{"install", "install", "upgrade"} {
			_, err := r.Run(testCtx, stepInput(action), s.io(false))
			require.NoError(t, err)
		}
		assert.Equal(t, 2, strings.Count(s.out(), "reactor initialized"))
	})
	t.Run("steps after Close", func(t *testing.T) {
		t.Parallel()
		r := reactorRunner(t, e, "reactor", policy.Limits{})
		_, log1, _ := reactorStep(t, r, "")
		require.NoError(t, r.Close(testCtx))
		require.NoError(t, r.Close(testCtx), "Close twice")
		res, log2, err := reactorStep(t, r, "")
		require.NoError(t, err)
		assert.Equal(t, int32(100), le32(t, res.Outputs["global"]))
		assert.Equal(t, 2, strings.Count(log1+log2, "reactor initialized"))
		r.mu.Lock()
		defer r.mu.Unlock()
		assert.Empty(t, r.idle, "a closed runner keeps no instance")
	})
}

func TestReactor_Concurrent(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{})
	r := reactorRunner(t, e, "reactor", policy.Limits{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
			if err == nil && (le32(t, res.Outputs["global"]) != 100 || le32(t, res.Outputs["cell"]) != 7) {
				err = errors.New("a step saw another step's state")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestReactor_MemoryCap(t *testing.T) {
	t.Parallel()
	for name, e := range engines(t) {
		// The policy cap is 3 pages: the step's grow to 3 works, "g" (to
		// 10) fails in the guest, and the instance is kept.
		r := reactorRunner(t, e, "reactor", policy.Limits{Memory: 3 * pageSize})
		for _, in := range []string{"g", "a"} {
			res, _, err := reactorStep(t, r, in)
			require.NoError(t, err, name)
			assert.Equal(t, map[string]int32{"pages": 2, "newpage": 0}, i32Outputs(t, res, "pages", "newpage"), name)
		}
	}
}

func TestEngine_LoadReactor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		guest    string
		wantKind string
		wantErr  error
		wantMsg  string
	}{
		{name: "a command", guest: "hello", wantKind: wasmabi.KindCommand},
		{name: "a reactor", guest: "reactor", wantKind: wasmabi.KindReactor},
		{name: "both exports: a reactor", guest: "both", wantKind: wasmabi.KindReactor},
		{name: "mixbox_step with a parameter", guest: "stepsig", wantKind: wasmabi.KindReactor, wantErr: ErrStepSignature,
			wantMsg: "it exports mixbox_step with signature (i32) -> (i32); mixbox_step must be a function with no parameters and one i32 result, () -> i32"},
		{name: "_initialize with a result", guest: "initsig", wantKind: wasmabi.KindReactor, wantErr: ErrInitializeSignature,
			wantMsg: "it exports _initialize with signature () -> (i32); _initialize must be a function with no parameters and no results"},
		{name: "mixbox_env_per_step with a result", guest: "envpersig", wantKind: wasmabi.KindReactor, wantErr: ErrEnvPerStepSignature,
			wantMsg: "it exports mixbox_env_per_step with signature () -> (i32); mixbox_env_per_step must be a function with no parameters and no results"},
		{name: "mixbox_env_per_step on an image guest", guest: "imaged", wantKind: wasmabi.KindReactor},
		{name: "_initialize without mixbox_step", guest: "initonly", wantErr: ErrMissingExport,
			wantMsg: "it exports neither _start nor mixbox_step; expected a WASI preview 1 command module exporting _start and memory, or a reactor exporting mixbox_step and memory (abi-v1 §1a); it exports _initialize, so it looks like a reactor without mixbox_step: a Go mixin on wasmabi/guest builds as one with -buildmode=c-shared -tags mixbox_reactor"},
	}
	e := newEngine(t, EngineOptions{Interpreter: true})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := Inspect(testCtx, "v0.0.0-test", guest(t, tc.guest))
			require.NoError(t, err)
			assert.Equal(t, tc.wantKind, info.Kind)
			_, err = e.Load(testCtx, "probe", guest(t, tc.guest))
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrIncompatible)
			require.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, err.Error(), tc.wantMsg)
		})
	}
}

// cReactor returns examples/cmixin's reactor build (C, wasi-libc).
func cReactor(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "cmixin", "src", "cmixin-reactor.wasm"))
	require.NoError(t, err, "build it with: make -C examples/cmixin")
	return b
}

// TestReactor_KeepsItsInstance: real reactors, built by a toolchain, keep
// one instance over their steps: nothing they do escapes the restore (the
// Go SDK's is in TestBenchmarkReactorStep).
func TestReactor_KeepsItsInstance(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	m, err := e.Load(testCtx, "cmixin", cReactor(t))
	require.NoError(t, err)
	r := NewRunner(e, m, RunnerOptions{Executor: &fakeExecutor{}})
	t.Cleanup(func() { require.NoError(t, r.Close(testCtx)) })
	for i := range 3 {
		s := &stdio{}
		in := stepInput("install")
		in.Stdin = fmt.Appendf(nil, "install:\n  - cmixin:\n      message: hi %d\n      outputs:\n        - name: greeting\n", i)
		res, err := r.Run(testCtx, in, s.io(false))
		require.NoError(t, err, s.err())
		assert.Equal(t, "v3.14.0", string(res.Outputs["greeting"]))
		r.mu.Lock()
		assert.Len(t, r.idle, 1, "step %d: the instance is kept", i+1)
		r.mu.Unlock()
	}
	var args [][]string
	for _, c := range r.opts.Executor.(*fakeExecutor).calls {
		args = append(args, append([]string{c.Request.Command}, c.Request.Args...))
	}
	assert.Equal(t, [][]string{{"echo", "hi 0"}, {"echo", "hi 1"}, {"echo", "hi 2"}}, args, "each step reads its own stdin")
}

func TestMutatesTables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bin  []byte
		want bool
	}{
		{name: "table.set", bin: guest(t, "reactortable"), want: true},
		{name: "no table write", bin: guest(t, "reactor")},
		{name: "the Go-built exec mixin", bin: builtin.Wasm()},
		{name: "the C reactor of examples/cmixin", bin: cReactor(t)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := parseModule(tc.bin)
			require.NoError(t, err)
			got, err := mutatesTables(p.code)
			require.NoError(t, err, "every instruction decodes")
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestExportGlobals(t *testing.T) {
	t.Parallel()
	bin := guest(t, "reactor")
	p, err := parseModule(bin)
	require.NoError(t, err)
	out, names, err := exportGlobals(bin, p)
	require.NoError(t, err)
	assert.Equal(t, []string{globalExportPrefix + "0"}, names)
	q, err := parseModule(out)
	require.NoError(t, err)
	assert.Equal(t, append(append([]Export(nil), p.exports...), Export{Name: names[0], Kind: "global"}), q.exports)

	rt := wazero.NewRuntimeWithConfig(testCtx, wazero.NewRuntimeConfigInterpreter())
	defer func() { require.NoError(t, rt.Close(testCtx)) }()
	cm, err := rt.CompileModule(testCtx, out)
	require.NoError(t, err, "the rewritten module validates")
	assert.Contains(t, cm.ExportedFunctions(), wasmabi.ExportStep)

	// A module that exports its mutable globals itself is used as it is.
	again, names2, err := exportGlobals(out, q)
	require.NoError(t, err)
	assert.Equal(t, names, names2)
	assert.Same(t, &out[0], &again[0], "nothing to add: no copy")

	// A module using the prefix itself gets a longer one.
	p.exports = append(p.exports, Export{Name: globalExportPrefix + "x", Kind: "func"})
	p.exportAt = append(p.exportAt, 0)
	_, names, err = exportGlobals(bin, p)
	require.NoError(t, err)
	assert.Equal(t, []string{globalExportPrefix + "_0"}, names)
}

func TestEngine_TableScanCached(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(bin []byte) string {
		sum := sha256.Sum256(bin)
		return filepath.Join(dir, "mixbox-"+hex.EncodeToString(sum[:])+".reactor1")
	}
	e := newEngine(t, EngineOptions{Interpreter: true, CacheDir: dir})
	for name, want := range map[string]string{"reactor": "0", "reactortable": "1"} {
		m := load(t, e, name)
		got, err := os.ReadFile(file(guest(t, name)))
		require.NoError(t, err, "the scan of %s is kept in the cache dir", name)
		assert.Equal(t, want, string(got), name)
		assert.Equal(t, want == "1", m.reactor.fresh != "", name)
	}

	// A later engine takes the answer from the cache instead of scanning.
	bin := guest(t, "reactor")
	require.NoError(t, os.WriteFile(file(bin), []byte("1"), 0o644))
	m := load(t, newEngine(t, EngineOptions{Interpreter: true, CacheDir: dir}), "reactor")
	assert.Equal(t, "it writes a table or drops a segment, which the host cannot restore", m.reactor.fresh)
}

// codeSection is the payload of a code section with one function, without
// locals, whose body is instrs then end.
func codeSection(instrs ...byte) []byte {
	body := append(append([]byte{0}, instrs...), 0x0b)
	return append(appendULEB([]byte{1}, uint64(len(body))), body...)
}

func TestMutatesTables_instructions(t *testing.T) {
	t.Parallel()
	const refNull, i32 = 0xd0, 0x41
	v128 := append([]byte{0xfd, 12}, bytes.Repeat([]byte{0x26}, 16)...)
	tests := []struct {
		name    string
		code    []byte
		want    bool
		wantErr bool
	}{
		{name: "table.set", code: codeSection(i32, 0, refNull, 0x70, 0x26, 0), want: true},
		{name: "table.grow", code: codeSection(refNull, 0x70, i32, 1, 0xfc, 15, 0), want: true},
		{name: "table.fill", code: codeSection(i32, 0, refNull, 0x70, i32, 1, 0xfc, 17, 0), want: true},
		{name: "table.copy", code: codeSection(i32, 0, i32, 0, i32, 0, 0xfc, 14, 0, 0), want: true},
		{name: "table.init", code: codeSection(i32, 0, i32, 0, i32, 0, 0xfc, 12, 0, 0), want: true},
		{name: "elem.drop", code: codeSection(0xfc, 13, 0), want: true},
		{name: "data.drop", code: codeSection(0xfc, 9, 0), want: true},
		{name: "memory.copy, memory.fill, memory.size", code: codeSection(0xfc, 10, 0, 0, 0xfc, 11, 0, 0x3f, 0)},
		{name: "table.get and table.size", code: codeSection(i32, 0, 0x25, 0, 0xfc, 16, 0)},
		{name: "0x26 as a constant", code: codeSection(i32, 0x26, 0x42, 0xa6, 0x26)},
		{name: "0x26 in a v128.const", code: codeSection(v128...)},
		{name: "0x26 in a memarg offset", code: codeSection(i32, 0, 0x28, 2, 0x26)},
		{name: "br_table", code: codeSection(0x02, 0x40, i32, 0, 0x0e, 2, 0, 0, 0, 0x0b)},
		{name: "an opcode wazero does not compile", code: codeSection(0x06), wantErr: true},
		{name: "a truncated immediate", code: []byte{1, 3, 0, i32, 0x80}, wantErr: true},
		{name: "a body past the section", code: []byte{1, 9, 0, 0x0b}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := mutatesTables(tc.code)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// call is one WASI call as the tracker's listeners see it.
type call struct {
	effect fdEffect
	params []uint64
	errno  uint32
	opened uint32 // the descriptor path_open writes, at offset 0
}

func TestFDTracker(t *testing.T) {
	t.Parallel()
	const fails = 8 // EBADF
	open := func(fd uint32) call { return call{effect: fdOpens, params: make([]uint64, 9), opened: fd} }
	c := func(e fdEffect, errno uint32, params ...uint64) call {
		return call{effect: e, params: params, errno: errno}
	}
	tests := []struct {
		name      string
		init      []call // before the mark
		calls     []call
		wantClean bool
	}{
		{name: "nothing", wantClean: true},
		{name: "open, read, seek, close", calls: []call{open(5), c(fdReads, 0, 5), c(fdChanges, 0, 5), c(fdCloses, 0, 5)}, wantClean: true},
		{name: "an open descriptor left open", calls: []call{open(5)}},
		{name: "a failed open", calls: []call{{effect: fdOpens, params: make([]uint64, 9), errno: fails}}, wantClean: true},
		{name: "stdin read, stdout and stderr written", calls: []call{c(fdReads, 0, 0), c(fdWrites, 0, 1), c(fdWrites, 0, 2)}, wantClean: true},
		{name: "a preopen closed", calls: []call{c(fdCloses, 0, 3)}},
		{name: "a close that failed", calls: []call{c(fdCloses, fails, 9)}, wantClean: true},
		{name: "a descriptor of _initialize read", init: []call{open(4)}, calls: []call{c(fdReads, 0, 4)}},
		{name: "a descriptor of _initialize seeked in vain", init: []call{open(4)}, calls: []call{c(fdChanges, fails, 4)}, wantClean: true},
		{name: "a preopen's directory read", calls: []call{c(fdReadDir, 0, 3)}},
		{name: "a preopen's directory read in vain", calls: []call{c(fdReadDir, fails, 3)}},
		{name: "a directory the step opened read", calls: []call{open(5), c(fdReadDir, 0, 5), c(fdCloses, 0, 5)}, wantClean: true},
		{name: "renumbered between its own", calls: []call{open(5), open(6), c(fdRenumbers, 0, 5, 6), c(fdCloses, 0, 6)}, wantClean: true},
		{name: "renumbered onto stdout", calls: []call{open(5), c(fdRenumbers, 0, 5, 1)}},
		{name: "stdout written after _initialize closed it", init: []call{c(fdCloses, 0, 1)}, calls: []call{c(fdWrites, 0, 1)}},
		{name: "stdin's flags changed", calls: []call{c(fdChanges, 0, 0)}},
		{name: "no parameters", calls: []call{c(fdChanges, 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := newFDTracker()
			run := func(calls []call) {
				for _, cl := range calls {
					mem := &fakeMem{buf: make([]byte, 4)}
					mem.buf[0] = byte(cl.opened)
					tr.before(cl.params)
					tr.after(cl.effect, mem, cl.errno)
				}
			}
			run(tc.init)
			tr.mark()
			run(tc.calls)
			assert.Equal(t, tc.wantClean, tr.clean())
		})
	}
}

// fakeMem's ReadUint32Le, for the tracker.
func (m *fakeMem) ReadUint32Le(off uint32) (uint32, bool) {
	b, ok := m.Read(off, 4)
	if !ok {
		return 0, false
	}
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24, true
}
