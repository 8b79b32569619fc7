package wasm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/host/internal/step"
	"github.com/mixbox/mixbox/wasmabi"
)

func stepInput(action string) step.Input {
	return step.Input{Mixin: "probe", Action: action, Index: 1, Args: []string{action}, Stdin: []byte("install:\n- probe: {}\n")}
}

type panicExecutor struct{}

func (panicExecutor) Exec(context.Context, hostexec.Call) (wasmabi.ExecResult, error) {
	panic("executor bug")
}

// engines returns a compiler, an interpreter, and a compiler with a disk
// cache, whose modules load through their stand-ins.
func engines(t *testing.T) map[string]*Engine {
	t.Helper()
	return map[string]*Engine{
		"compiler":    newEngine(t, EngineOptions{}),
		"interpreter": newEngine(t, EngineOptions{Interpreter: true}),
		"stand-in":    newEngine(t, EngineOptions{CacheDir: t.TempDir()}),
	}
}

func TestRunner_Hello(t *testing.T) {
	t.Parallel()
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := &stdio{}
			r := NewRunner(e, load(t, e, "hello"), RunnerOptions{})
			res, err := r.Run(testCtx, stepInput("install"), s.io(false))
			require.NoError(t, err)
			assert.Equal(t, 0, res.ExitCode)
			assert.Equal(t, map[string][]byte{"greeting": []byte("hi")}, res.Outputs)
			assert.Equal(t, "hello from wasm\nlogged line\n", s.out())
			assert.Equal(t, []string{"s3cret"}, s.masked)
			assert.Equal(t, "probe", r.Name())
			assert.Equal(t, step.FormWasmInstalled, r.Form())
		})
	}
}

func TestRunner_DebugLog(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	s := &stdio{}
	_, err := NewRunner(e, load(t, e, "hello"), RunnerOptions{}).Run(testCtx, stepInput("install"), s.io(true))
	require.NoError(t, err)
	assert.Contains(t, s.out(), "DEBUG debug line\n")
}

func TestRunner_ProcessContract(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	r := NewRunner(e, load(t, e, "env"), RunnerOptions{Env: map[string]string{
		"CNAB_BUNDLE_NAME": "mysql", "PORTER_DEBUG": "false", "HOME": "/root", "PATH": "/bin", "SECRET": "x",
	}})
	in := stepInput("status")
	in.Args = []string{"invoke", "--action", "status"}
	res, err := r.Run(testCtx, in, (&stdio{}).io(false))
	require.NoError(t, err)
	assert.Equal(t, "probe\x00invoke\x00--action\x00status\x00", string(res.Outputs["args"]))
	assert.Equal(t, "CNAB_ACTION=status\x00CNAB_BUNDLE_NAME=mysql\x00PORTER_DEBUG=false\x00", string(res.Outputs["env"]))
	assert.Equal(t, string(in.Stdin), string(res.Outputs["stdin"]))
}

func TestRunner_Exec(t *testing.T) {
	t.Parallel()
	for name, e := range engines(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ex := &fakeExecutor{}
			s := &stdio{}
			r := NewRunner(e, load(t, e, "exec"), RunnerOptions{Executor: ex})
			res, err := r.Run(testCtx, stepInput("install"), s.io(false))
			require.NoError(t, err)
			status := func(name string) wasmabi.Status { return wasmabi.Status(le32(t, res.Outputs[name])) }
			n := status("exec")
			require.Positive(t, n)
			assert.Equal(t, wasmabi.ETooSmall, status("small"))
			assert.Equal(t, n, status("read"))
			got, err := wasmabi.DecodeExecResult(res.Outputs["response"])
			require.NoError(t, err)
			assert.Equal(t, wasmabi.ExecResult{Stdout: "v3.14.0\n", DurationMS: 1}, got)
			assert.Equal(t, wasmabi.ENoResponse, status("again"))
			assert.Equal(t, wasmabi.EFault, status("fault"))
			assert.Equal(t, wasmabi.EDenied, status("denied"))
			assert.Equal(t, wasmabi.ENotFound, status("notfound"))
			assert.Equal(t, wasmabi.EInval, status("inval"))
			assert.Equal(t, wasmabi.ETooBig, status("toobig"))
			assert.Equal(t, []string{"helm", "rm", "missing"}, ex.commands())
			require.Len(t, res.Denials, 1)
			assert.Contains(t, res.Denials[0], "command rm is not granted")
			assert.NotContains(t, s.err(), "exec denied")
			assert.Equal(t, "ran helm version\n", s.out())
			assert.Equal(t, "WARN install step 1: exec denied: "+wasmabi.EDenied.Error()+": command rm is not granted to mixin probe (no exec rule names it)", s.logged(),
				"the denial is in the run log, which the guest cannot mask")
			assert.Equal(t, "install step 1", ex.calls[0].Step)
		})
	}
}

func TestRunner_Failures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		guest    string
		stdin    string
		limits   policy.Limits
		wantErr  error
		wantCode int
		wantMsg  string
	}{
		{name: "trap", guest: "trap", wantErr: ErrTrap, wantCode: 1, wantMsg: "unreachable"},
		{name: "non-zero exit", guest: "exit", stdin: "3", wantErr: ErrExit, wantCode: 3, wantMsg: "exited with code 3"},
		{name: "proc_exit 0 is success", guest: "exit", stdin: "0"},
		{name: "step timeout stops a loop", guest: "loop", limits: policy.Limits{StepTimeout: 200 * time.Millisecond},
			wantErr: ErrStepTimeout, wantCode: 1, wantMsg: "step timeout of 200ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for name, e := range engines(t) {
				in := stepInput("install")
				in.Stdin = []byte(tc.stdin)
				r := NewRunner(e, load(t, e, tc.guest), RunnerOptions{Policy: policy.Mixin{Limits: tc.limits}})
				res, err := r.Run(testCtx, in, (&stdio{}).io(false))
				assert.Equal(t, map[string][]byte{"before": []byte("kept")}, res.Outputs, "%s: outputs committed before the failure survive", name)
				assert.Equal(t, tc.wantCode, res.ExitCode, name)
				if tc.wantErr == nil {
					require.NoError(t, err, name)
					continue
				}
				require.ErrorIs(t, err, tc.wantErr, name)
				assert.Contains(t, err.Error(), tc.wantMsg, name)
			}
		})
	}
}

func TestRunner_CallerCancels(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	ctx, cancel := context.WithCancel(testCtx)
	time.AfterFunc(100*time.Millisecond, cancel)
	res, err := NewRunner(e, load(t, e, "loop"), RunnerOptions{}).Run(ctx, stepInput("install"), (&stdio{}).io(false))
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrStepTimeout)
	assert.Equal(t, []byte("kept"), res.Outputs["before"])
}

func TestRunner_Memory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		engineMem int64
		policyMem int64
		guest     string
		want      map[string]int32
		wantErr   error
		wantMsg   string
	}{
		{name: "grow past the engine cap fails in the guest", engineMem: 1 << 20, guest: "grow",
			want: map[string]int32{"big": -1, "one": 1, "size": 2}},
		{name: "declared maximum over the engine cap is clamped", engineMem: 101 * pageSize, guest: "grow",
			want: map[string]int32{"big": 1, "one": -1, "size": 101}},
		{name: "grow past a lower policy cap fails in the guest", engineMem: 64 << 20, policyMem: 1 << 20, guest: "grow",
			want: map[string]int32{"big": -1, "one": 1, "size": 2}},
		{name: "declared maximum over the cap is clamped", engineMem: 64 << 20, policyMem: 101 * pageSize, guest: "grow",
			want: map[string]int32{"big": 1, "one": -1, "size": 101}},
		{name: "initial memory over the engine cap", engineMem: 1 << 20, guest: "bigmem", wantErr: ErrMemoryCap,
			wantMsg: "needs 6400 KiB of initial memory, over the memory cap of 1 MiB (the engine's memory limit);"},
		{name: "initial memory over the policy cap", engineMem: 64 << 20, policyMem: 1 << 20, guest: "bigmem", wantErr: ErrMemoryCap,
			wantMsg: "needs 6400 KiB of initial memory, over the memory cap of 1 MiB (policy memory);"},
		{name: "the cap is named as written, then in whole pages", engineMem: 64 << 20, policyMem: 100 << 10, guest: "bigmem", wantErr: ErrMemoryCap,
			wantMsg: "over the memory cap of 100 KiB (policy memory, rounded down to whole 64 KiB pages: 64 KiB);"},
		{name: "a cap under one page", engineMem: 64 << 20, policyMem: 1024, guest: "hello", wantErr: ErrMemoryCap,
			wantMsg: "needs 64 KiB of initial memory, over the memory cap of 1 KiB (policy memory, rounded down to whole 64 KiB pages: 0 bytes);"},
		{name: "a cap in bytes", engineMem: 64 << 20, policyMem: 100*pageSize - 1, guest: "bigmem", wantErr: ErrMemoryCap,
			wantMsg: "over the memory cap of 6553599 bytes (policy memory, rounded down to whole 64 KiB pages: 6336 KiB);"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, interp := range []bool{false, true} {
				e := newEngine(t, EngineOptions{MemoryLimit: tc.engineMem, Interpreter: interp})
				m := load(t, e, tc.guest)
				r := NewRunner(e, m, RunnerOptions{Policy: policy.Mixin{Limits: policy.Limits{Memory: tc.policyMem}}})
				res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
				if tc.wantErr != nil {
					require.ErrorIs(t, err, tc.wantErr)
					assert.Equal(t, 1, res.ExitCode)
					assert.Contains(t, err.Error(), tc.wantMsg)
					continue
				}
				require.NoError(t, err)
				got := map[string]int32{}
				for k, v := range res.Outputs {
					got[k] = le32(t, v)
				}
				assert.Equal(t, tc.want, got, "interpreter=%v", interp)
			}
		})
	}
}

// bundleDir makes a bundle directory with a file, a subdirectory and a
// symlink that points out of it, and a secret file outside.
func bundleDir(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "bundle")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "porter.yaml"), []byte("name: demo\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(base, "secret"), []byte("outside\n"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(base, "secret"), filepath.Join(dir, "escape")))
	require.NoError(t, os.Symlink("../secret", filepath.Join(dir, "relescape")))
	require.NoError(t, os.Symlink("porter.yaml", filepath.Join(dir, "inside")))
	return dir
}

func TestRunner_Files(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t)
	extra := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(extra, "config"), []byte("kube\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(extra, "other"), []byte("hidden\n"), 0o600))
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, d := range []string{filepath.Dir(dir), extra} {
			_ = filepath.Walk(d, func(p string, info os.FileInfo, err error) error {
				if err == nil && !info.IsDir() {
					b, _ := os.ReadFile(p)
					out[p] = info.Mode().String() + string(b)
				}
				return nil
			})
		}
		return out
	}
	before := snapshot()
	const ok, noent = 0, 44

	tests := []struct {
		name      string
		stdin     string
		noMount   bool
		wantErrno int32
		notErrno  bool // any non-zero errno
		wantData  string
	}{
		{name: "preopen 3 is the bundle", stdin: "p3", wantData: "/cnab/app"},
		{name: "preopen 4 is the extra mount's directory", stdin: "p4", wantData: "/home/me/.kube"},
		{name: "read a bundle file", stdin: "r3porter.yaml", wantErrno: ok, wantData: "name: demo\n"},
		{name: "read through a symlink inside", stdin: "r3inside", wantErrno: ok, wantData: "name: demo\n"},
		{name: "absolute symlink out is refused", stdin: "r3escape", notErrno: true},
		{name: "relative symlink out is refused", stdin: "r3relescape", notErrno: true},
		{name: "dot-dot out is refused", stdin: "r3../secret", notErrno: true},
		{name: "open for write fails", stdin: "w3porter.yaml", notErrno: true},
		{name: "create fails", stdin: "c3new.txt", notErrno: true},
		{name: "truncate fails", stdin: "t3porter.yaml", notErrno: true},
		{name: "unlink fails", stdin: "u3porter.yaml", notErrno: true},
		{name: "mkdir fails", stdin: "d3newdir", notErrno: true},
		{name: "rename fails", stdin: "n3porter.yaml", notErrno: true},
		{name: "read the mounted file", stdin: "r4config", wantErrno: ok, wantData: "kube\n"},
		{name: "a file beside the mounted one is hidden", stdin: "r4other", wantErrno: noent},
		{name: "write to the mounted file fails", stdin: "w4config", notErrno: true},
		{name: "no bundle mount when the policy says so", stdin: "r3config", noMount: true, wantErrno: ok, wantData: "kube\n"},
	}
	e := newEngine(t, EngineOptions{Interpreter: true})
	m := load(t, e, "fsprobe")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRunner(e, m, RunnerOptions{
				Policy:    policy.Mixin{Mount: !tc.noMount},
				BundleDir: dir,
				Mounts:    []Mount{{Host: filepath.Join(extra, "config"), Guest: "/home/me/.kube/config"}},
			})
			in := stepInput("install")
			in.Stdin = []byte(tc.stdin)
			res, err := r.Run(testCtx, in, (&stdio{}).io(false))
			require.NoError(t, err)
			errno := le32(t, res.Outputs["errno"])
			if tc.notErrno {
				assert.NotZero(t, errno)
				assert.NotContains(t, res.Outputs, "werrno", "a write-opened fd must not exist")
			} else {
				assert.Equal(t, tc.wantErrno, errno)
			}
			if tc.wantData != "" {
				assert.Equal(t, tc.wantData, strings.TrimRight(string(res.Outputs["data"]), "\x00"))
			} else if tc.notErrno {
				assert.NotContains(t, string(res.Outputs["data"]), "outside")
			}
		})
	}
	assert.Equal(t, before, snapshot(), "no byte may be written through a mount")
}

func TestRunner_Deterministic(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	m := load(t, e, "env")
	r := NewRunner(e, m, RunnerOptions{Deterministic: &Deterministic{Seed: 7}, Form: step.FormWasmBuiltin})
	res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
	require.NoError(t, err)
	assert.Equal(t, step.FormWasmBuiltin, r.Form())
	assert.Contains(t, string(res.Outputs["env"]), "CNAB_ACTION=install")
}

func TestRunner_ClosedEngine(t *testing.T) {
	t.Parallel()
	e, err := NewEngine(testCtx, EngineOptions{Interpreter: true})
	require.NoError(t, err)
	require.NoError(t, e.Close(testCtx))
	_, err = e.Load(testCtx, "probe", guest(t, "hello"))
	require.True(t, errors.Is(err, ErrClosed), "got %v", err)
}

// blockingExecutor blocks every call until its context is done.
type blockingExecutor struct{}

func (blockingExecutor) Exec(ctx context.Context, _ hostexec.Call) (wasmabi.ExecResult, error) {
	<-ctx.Done()
	return wasmabi.ExecResult{ExitCode: -1, TimedOut: true}, nil
}

func TestRunner_StepTimeoutCoversExec(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	r := NewRunner(e, load(t, e, "exec"), RunnerOptions{
		Executor: blockingExecutor{},
		Policy:   policy.Mixin{Limits: policy.Limits{StepTimeout: 100 * time.Millisecond}},
	})
	start := time.Now()
	_, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
	require.ErrorIs(t, err, ErrStepTimeout)
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestRunner_Concurrent(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{})
	r := NewRunner(e, load(t, e, "hello"), RunnerOptions{})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
			if err == nil && string(res.Outputs["greeting"]) != "hi" {
				err = errors.New("missing output")
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}

// blockedWriter never returns from Write, like a console nobody reads.
type blockedWriter struct{ release chan struct{} }

func (b blockedWriter) Write(p []byte) (int, error) {
	<-b.release
	return len(p), nil
}

// TestRunner_stuckHostCall: a step whose guest is stuck in a host call that
// ignores the context (here a write to a console that never takes it) still
// ends, GiveUpAfter past its timeout at most, as a timed-out step.
func TestRunner_stuckHostCall(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	stuck := blockedWriter{release: make(chan struct{})}
	t.Cleanup(func() { close(stuck.release) })
	r := NewRunner(e, load(t, e, "hello"), RunnerOptions{Policy: policy.Mixin{Limits: policy.Limits{StepTimeout: 200 * time.Millisecond}}})
	start := time.Now()
	_, err := r.Run(testCtx, stepInput("install"), step.IO{Stdout: stuck, Stderr: stuck})
	require.ErrorIs(t, err, ErrStepTimeout)
	require.Less(t, time.Since(start), GiveUpAfter+5*time.Second)
}
