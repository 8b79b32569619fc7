package wasm

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/mask"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

// newInstance returns host state with small limits over a 64 KiB fake memory.
func newInstance(t testing.TB, l policy.Limits) (*instance, *fakeMem, *stdio) {
	t.Helper()
	s := &stdio{}
	sio := s.io(false)
	l = withDefaults(l)
	b := &logBudget{left: l.LogBytes, limit: l.LogBytes, notice: sio.Log}
	return &instance{
		mixin: "probe", step: "install step 1", limits: l, executor: &fakeExecutor{},
		stdout: cappedWriter{b, sio.Stdout}, stderr: cappedWriter{b, sio.Stderr}, runLog: sio.Log,
		mask: sio.Mask, logger: slog.New(slog.DiscardHandler), outputs: map[string][]byte{},
	}, &fakeMem{buf: make([]byte, 65536)}, s
}

func TestInstance_Exec(t *testing.T) {
	t.Parallel()
	const size = 65536
	tests := []struct {
		name     string
		req      string
		ptr, len uint32 // when len is set, used instead of req's
		limits   policy.Limits
		want     wasmabi.Status
		calls    int // exec calls counted
	}{
		{name: "runs and stages the result", req: `{"command":"helm","args":["version"]}`, want: 77},
		{name: "over 1 MiB is too big before bounds", ptr: size, len: wasmabi.MaxRequestBytes + 1, want: wasmabi.ETooBig},
		{name: "out of bounds", ptr: size - 3, len: 4, want: wasmabi.EFault},
		{name: "ptr plus len wraps 32 bits", ptr: 0xffffffff, len: 2, want: wasmabi.EFault},
		{name: "malformed json", req: `{"command":`, want: wasmabi.EInval},
		{name: "invalid utf8", req: "{\"command\":\"\xff\"}", want: wasmabi.EInval},
		{name: "unknown field", req: `{"command":"helm","shell":true}`, want: wasmabi.EInval},
		{name: "missing command", req: `{}`, want: wasmabi.EInval},
		{name: "denied", req: `{"command":"rm"}`, want: wasmabi.EDenied, calls: 1},
		{name: "not found", req: `{"command":"missing"}`, want: wasmabi.ENotFound, calls: 1},
		{name: "host failure", req: `{"command":"boom"}`, want: wasmabi.EInternal, calls: 1},
		{name: "quota spent", req: `{"command":"helm"}`, limits: policy.Limits{ExecCalls: 1}, want: wasmabi.ELimit, calls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, mem, s := newInstance(t, tc.limits)
			ptr, n := tc.ptr, tc.len
			if n == 0 {
				ptr, n = mem.put(100, tc.req), uint32(len(tc.req))
			}
			if tc.want == wasmabi.ELimit {
				require.Greater(t, in.exec(testCtx, mem, ptr, n), wasmabi.Status(0))
			}
			got := in.exec(testCtx, mem, ptr, n)
			if tc.want > 0 {
				require.Greater(t, got, wasmabi.Status(0))
				require.Len(t, in.parts, 1)
				var staged bytes.Buffer
				n, err := in.parts[0].write(&staged)
				require.NoError(t, err)
				assert.Equal(t, int64(got), n, "the status is the JSON's length")
				res, err := wasmabi.DecodeExecResult(staged.Bytes())
				require.NoError(t, err)
				assert.Equal(t, "v3.14.0\n", res.Stdout)
				assert.Equal(t, "ran helm version\n", s.out())
				return
			}
			require.Equal(t, tc.want, got, "got %s", got.Name())
			assert.Empty(t, in.parts, "a failed exec leaves no response staged")
			if tc.calls > 0 {
				assert.Equal(t, tc.calls, in.execCalls)
			} else {
				assert.Zero(t, in.execCalls, "calls failing length, bounds or JSON checks are not counted")
			}
			if tc.want == wasmabi.EDenied {
				_, denials := in.result()
				require.Len(t, denials, 1)
				assert.Contains(t, denials[0], "not granted")
				assert.Contains(t, s.logged(), "WARN install step 1: exec denied")
				assert.NotContains(t, s.out()+s.err(), "exec denied", "a denial goes to the run log, not through the guest's streams")
			}
		})
	}
}

func TestInstance_ExecNilExecutorDenies(t *testing.T) {
	t.Parallel()
	in, mem, _ := newInstance(t, policy.Limits{})
	in.executor = nil
	req := `{"command":"helm"}`
	require.Equal(t, wasmabi.EDenied, in.exec(testCtx, mem, mem.put(0, req), uint32(len(req))))
	_, denials := in.result()
	require.Len(t, denials, 1)
}

// TestInstance_Deny pins where a denied exec call is reported: the run log
// (step.IO.Log, which a guest cannot mask) at warn level, never the guest's
// streams, and outside the guest's log cap.
func TestInstance_Deny(t *testing.T) {
	t.Parallel()
	rmDenied := wasmabi.EDenied.Error() + ": command rm is not granted to mixin probe (no exec rule names it)" // fakeExecutor's
	tests := []struct {
		name       string
		req        string
		noExecutor bool
		logBytes   int64
		guestLog   string // written by the guest before the call
		wantStdout string
		wantLog    string
	}{
		{name: "refused by the policy", req: `{"command":"rm"}`,
			wantLog: "WARN install step 1: exec denied: " + rmDenied},
		{name: "no executor", req: `{"command":"helm"}`, noExecutor: true,
			wantLog: `WARN install step 1: exec denied: exec "helm" refused: the policy grants mixin probe no exec`},
		{name: "after the log cap is spent", req: `{"command":"rm"}`, logBytes: 4, guestLog: "0123456789",
			wantStdout: "0123", wantLog: "mixbox: the step's log reached its cap (4 bytes, policy logBytes); further output of this step is dropped\n" +
				"WARN install step 1: exec denied: " + rmDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, mem, s := newInstance(t, policy.Limits{LogBytes: tc.logBytes})
			if tc.noExecutor {
				in.executor = nil
			}
			_, _ = io.WriteString(in.stdout, tc.guestLog)
			got := in.exec(testCtx, mem, mem.put(0, tc.req), uint32(len(tc.req)))
			require.Equal(t, wasmabi.EDenied, got, "got %s", got.Name())
			assert.Equal(t, tc.wantStdout, s.out())
			assert.Equal(t, tc.wantLog, s.logged())
			assert.NotContains(t, s.err(), "exec denied")
		})
	}
}

func TestInstance_ResponseRead(t *testing.T) {
	t.Parallel()
	staged, err := wasmabi.Encode(wasmabi.ExecResult{Stdout: "out\n"})
	require.NoError(t, err)
	n := uint32(len(staged))
	tests := []struct {
		name     string
		staged   bool
		ptr, cap uint32
		want     wasmabi.Status
		kept     bool
	}{
		{name: "nothing staged", ptr: 0, cap: 100, want: wasmabi.ENoResponse},
		{name: "nothing staged beats a bad pointer", ptr: 1 << 31, cap: 0, want: wasmabi.ENoResponse},
		{name: "too small keeps the slot", staged: true, ptr: 0, cap: n - 1, want: wasmabi.ETooSmall, kept: true},
		{name: "too small beats a bad pointer", staged: true, ptr: 1 << 31, cap: 1, want: wasmabi.ETooSmall, kept: true},
		{name: "fault keeps the slot", staged: true, ptr: 65536 - n + 1, cap: n, want: wasmabi.EFault, kept: true},
		{name: "only the staged length is bounds-checked", staged: true, ptr: 65536 - n, cap: 1 << 30, want: wasmabi.Status(n)},
		{name: "success clears the slot", staged: true, ptr: 10, cap: n + 100, want: wasmabi.Status(n)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, mem, _ := newInstance(t, policy.Limits{})
			if tc.staged {
				in.parts = []part{{n: n, write: func(w io.Writer) (int64, error) { k, err := w.Write(staged); return int64(k), err }}}
			}
			before := bytes.Clone(mem.buf)
			got := in.responseRead(mem, tc.ptr, tc.cap)
			require.Equal(t, tc.want, got, "got %s", got.Name())
			assert.Equal(t, tc.kept, len(in.parts) == 1)
			if got > 0 {
				assert.Equal(t, staged, mem.buf[tc.ptr:tc.ptr+n])
				copy(before[tc.ptr:], staged)
			}
			assert.Equal(t, before, mem.buf, "no byte written outside the payload")
		})
	}
}

func TestInstance_OutputSet(t *testing.T) {
	t.Parallel()
	limits := policy.Limits{OutputBytes: 10, Outputs: 2}
	type call struct {
		name, val string
		namePtr   uint32 // non-zero: use with nameLen instead of name
		nameLen   uint32
		valPtr    uint32
		valLen    uint32
		want      wasmabi.Status
	}
	tests := []struct {
		name  string
		calls []call
		want  map[string]string
	}{
		{name: "sets", calls: []call{{name: "a", val: "xyz"}}, want: map[string]string{"a": "xyz"}},
		{name: "empty value", calls: []call{{name: "a", val: ""}}, want: map[string]string{"a": ""}},
		{name: "replaces and releases bytes", calls: []call{{name: "a", val: "123456789"}, {name: "a", val: "1"}, {name: "b", val: "123456789"}},
			want: map[string]string{"a": "1", "b": "123456789"}},
		{name: "one value over the cap is too big", calls: []call{{name: "a", val: "12345678901", want: wasmabi.ETooBig}}, want: map[string]string{}},
		{name: "too big beats a bad name pointer", calls: []call{{namePtr: 70000, nameLen: 1, valPtr: 0, valLen: 11, want: wasmabi.ETooBig}}, want: map[string]string{}},
		{name: "overflowing the sum is a limit", calls: []call{{name: "a", val: "123456"}, {name: "b", val: "123456", want: wasmabi.ELimit}}, want: map[string]string{"a": "123456"}},
		{name: "count quota", calls: []call{{name: "a", val: "1"}, {name: "b", val: "1"}, {name: "c", val: "1", want: wasmabi.ELimit}, {name: "a", val: "2"}},
			want: map[string]string{"a": "2", "b": "1"}},
		{name: "bad name", calls: []call{{name: "-a", val: "1", want: wasmabi.EInval}}, want: map[string]string{}},
		{name: "name with slash", calls: []call{{name: "a/b", val: "1", want: wasmabi.EInval}}, want: map[string]string{}},
		{name: "empty name", calls: []call{{name: "", val: "1", want: wasmabi.EInval}}, want: map[string]string{}},
		{name: "invalid utf8 name", calls: []call{{name: "a\xff", val: "1", want: wasmabi.EInval}}, want: map[string]string{}},
		{name: "65-byte name is invalid, not too big", calls: []call{{name: strings.Repeat("a", 65), val: "1", want: wasmabi.EInval}}, want: map[string]string{}},
		{name: "64-byte name", calls: []call{{name: strings.Repeat("a", 64), val: "1"}}, want: map[string]string{strings.Repeat("a", 64): "1"}},
		{name: "name out of bounds", calls: []call{{namePtr: 65535, nameLen: 2, valPtr: 0, valLen: 1, want: wasmabi.EFault}}, want: map[string]string{}},
		{name: "value out of bounds", calls: []call{{namePtr: 1, nameLen: 1, valPtr: 65530, valLen: 7, want: wasmabi.EFault}}, want: map[string]string{}},
		{name: "fault beats invalid", calls: []call{{namePtr: 65535, nameLen: 100, valPtr: 0, valLen: 1, want: wasmabi.EFault}}, want: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, mem, _ := newInstance(t, limits)
			for _, c := range tc.calls {
				np, nl, vp, vl := c.namePtr, c.nameLen, c.valPtr, c.valLen
				if np == 0 && nl == 0 {
					np, nl = mem.put(1000, c.name), uint32(len(c.name))
					vp, vl = mem.put(2000, c.val), uint32(len(c.val))
				}
				got := in.outputSet(mem, np, nl, vp, vl)
				require.Equal(t, c.want, got, "got %s", got.Name())
				mem.put(2000, strings.Repeat("!", 16)) // the host copied the value
			}
			outs, _ := in.result()
			got := map[string]string{}
			var sum int64
			for k, v := range outs {
				got[k] = string(v)
				sum += int64(len(v))
			}
			require.Equal(t, tc.want, got)
			assert.Equal(t, sum, in.outBytes)
		})
	}
}

func TestInstance_Log(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		level      int32
		msg        string
		ptr, n     uint32
		debug      bool
		want       wasmabi.Status
		wantStdout string
		wantStderr string
	}{
		{name: "info", level: 1, msg: "hello", wantStdout: "hello\n"},
		{name: "keeps one newline", level: 1, msg: "hello\n", wantStdout: "hello\n"},
		{name: "debug hidden", level: 0, msg: "dbg"},
		{name: "debug shown", level: 0, msg: "dbg", debug: true, wantStdout: "DEBUG dbg\n"},
		{name: "warn", level: 2, msg: "careful", wantStderr: "WARN careful\n"},
		{name: "error", level: 3, msg: "bad", wantStderr: "ERROR bad\n"},
		{name: "bytes, not utf8, escaped", level: 1, msg: "\xff", wantStdout: `\xff` + "\n"},
		{name: "control characters escaped, tabs and newlines kept", level: 2, msg: "\x1b[2K\rstep 1/1 done\tok\nnext\a",
			wantStderr: `WARN \x1b[2K\x0dstep 1/1 done` + "\tok\nnext" + `\x07` + "\n"},
		{name: "bad level", level: 4, msg: "x", want: wasmabi.EInval},
		{name: "negative level", level: -1, msg: "x", want: wasmabi.EInval},
		{name: "fault beats bad level", level: 9, ptr: 65536, n: 1, want: wasmabi.EFault},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, mem, s := newInstance(t, policy.Limits{})
			in.debug = tc.debug
			ptr, n := tc.ptr, tc.n
			if n == 0 {
				ptr, n = mem.put(10, tc.msg), uint32(len(tc.msg))
			}
			got := in.log(mem, tc.level, ptr, n)
			require.Equal(t, tc.want, got, "got %s", got.Name())
			assert.Equal(t, tc.wantStdout, s.out())
			assert.Equal(t, tc.wantStderr, s.err())
		})
	}
}

func TestInstance_LogCap(t *testing.T) {
	t.Parallel()
	in, mem, s := newInstance(t, policy.Limits{LogBytes: 10})
	msg := "0123456"
	ptr := mem.put(0, msg)
	for range 3 {
		require.Equal(t, wasmabi.Status(0), in.log(mem, 1, ptr, uint32(len(msg))))
	}
	_, _ = io.WriteString(in.stderr, "more")
	assert.Equal(t, "0123456\n01", s.out(), "output stops at the cap")
	assert.Equal(t, 1, strings.Count(s.logged(), "policy logBytes"), "one notice: %q", s.logged())
}

func TestInstance_Mask(t *testing.T) {
	t.Parallel()
	in, mem, s := newInstance(t, policy.Limits{})
	require.Equal(t, wasmabi.Status(0), in.maskValue(mem, mem.put(0, "s3cret"), 6))
	require.Equal(t, wasmabi.Status(0), in.maskValue(mem, 5, 0), "empty is ignored")
	require.Equal(t, wasmabi.Status(0), in.maskValue(mem, mem.put(100, "   "), 3), "blank is ignored")
	require.Equal(t, wasmabi.EFault, in.maskValue(mem, 65535, 2))
	mem.put(0, "xxxxxx")
	assert.Equal(t, []string{"s3cret"}, s.masked)
	assert.Empty(t, s.logged())

	// A value too short to mask is said once per step, by no content.
	for range 3 {
		require.Equal(t, wasmabi.Status(0), in.maskValue(mem, mem.put(200, "ok"), 2))
	}
	assert.Equal(t, []string{"s3cret"}, s.masked)
	assert.Equal(t, "WARN install step 1: mixin probe asked to mask a value shorter than 4 characters; such values are not masked", s.logged())
}

// TestInstance_MaskCap: past maxMaskValues in one step, mask returns
// E_LIMIT and the run log says so once.
func TestInstance_MaskCap(t *testing.T) {
	t.Parallel()
	in, mem, s := newInstance(t, policy.Limits{})
	for i := range maxMaskValues {
		v := fmt.Sprintf("value-%06d", i)
		require.Equal(t, wasmabi.Status(0), in.maskValue(mem, mem.put(0, v), uint32(len(v))), "value %d", i)
	}
	for range 3 {
		require.Equal(t, wasmabi.ELimit, in.maskValue(mem, mem.put(0, "one-too-many"), 12))
	}
	assert.Len(t, s.masked, maxMaskValues)
	assert.Equal(t, 1, strings.Count(s.logged(), "\n")+1, "one warning: %q", s.logged())
	assert.Contains(t, s.logged(), "mixin probe masked 10000 values")
	assert.Contains(t, s.logged(), "E_LIMIT")

	// The bytes cap: one value over the rest of 256 KiB.
	in2, mem2, s2 := newInstance(t, policy.Limits{})
	in2.masks.bytes = maxMaskBytes - 4
	require.Equal(t, wasmabi.ELimit, in2.maskValue(mem2, mem2.put(0, "12345"), 5))
	assert.Empty(t, s2.masked)
	assert.Contains(t, s2.logged(), "256 KiB")
}

func TestHostFunc_RecoversPanic(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	m, err := e.Load(testCtx, "probe", guest(t, "exec"))
	require.NoError(t, err)
	ex := &panicExecutor{}
	r := NewRunner(e, m, RunnerOptions{Executor: ex})
	res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
	require.NoError(t, err)
	assert.Equal(t, wasmabi.EInternal, wasmabi.Status(le32(t, res.Outputs["exec"])))
}

// FuzzHostCall drives every host function with random pointers and lengths
// against a fake memory: a status must come back (an error for a bad
// range), nothing may panic, and response_read may write only inside its
// buffer.
func FuzzHostCall(f *testing.F) {
	f.Add(uint8(0), uint32(0), uint32(37), uint32(0), uint32(0), int32(0))
	f.Add(uint8(1), uint32(65535), uint32(2), uint32(0), uint32(0), int32(0))
	f.Add(uint8(2), uint32(0xffffffff), uint32(1), uint32(0), uint32(5), int32(0))
	f.Add(uint8(3), uint32(100), uint32(0xffffffff), uint32(0), uint32(0), int32(7))
	f.Add(uint8(4), uint32(65530), uint32(7), uint32(0), uint32(0), int32(1))
	f.Fuzz(func(t *testing.T, fn uint8, p1, p2, p3, p4 uint32, level int32) {
		in, mem, _ := newInstance(t, policy.Limits{OutputBytes: 1024, LogBytes: 1 << 16})
		req := `{"command":"helm","args":["version"]}`
		mem.put(0, req)
		mem.put(64, "name")
		// Stage a response so response_read reaches its bounds check.
		require.Greater(t, in.exec(testCtx, mem, 0, uint32(len(req))), wasmabi.Status(0))
		staged := in.parts[0].n
		before := bytes.Clone(mem.buf)
		var got wasmabi.Status
		switch fn % 5 {
		case 0:
			got = in.exec(testCtx, mem, p1, p2)
		case 1:
			got = in.responseRead(mem, p1, p2)
			if got >= 0 {
				require.LessOrEqual(t, uint64(p1)+uint64(staged), uint64(len(mem.buf)))
				require.GreaterOrEqual(t, p2, staged)
				copy(before[p1:], mem.buf[p1:p1+staged])
			}
		case 2:
			got = in.outputSet(mem, p1, p2, p3, p4)
		case 3:
			got = in.log(mem, level, p1, p2)
		case 4:
			got = in.maskValue(mem, p1, p2)
		}
		require.Equal(t, before, mem.buf, "a host function wrote outside response_read's buffer")
		if uint64(p1)+uint64(p2) > uint64(len(mem.buf)) && fn%5 != 1 {
			require.Less(t, got, wasmabi.Status(0), "a range outside memory must fail")
		}
	})
}

// TestCappedWriter_cutInsideSecret: when the log cap falls inside a secret,
// the masking writer drops the part it holds back instead of printing the
// first half of the secret.
func TestCappedWriter_cutInsideSecret(t *testing.T) {
	t.Parallel()
	secrets := mask.NewSet()
	secrets.Add("P@ssw0rd-long-secret")
	var out bytes.Buffer
	mw := mask.NewWriter(&out, secrets)
	var notices []string
	b := &logBudget{left: 12, limit: 12, notice: func(l string) { notices = append(notices, l) }, cut: []io.Writer{mw}}
	w := cappedWriter{b, mw}
	_, _ = io.WriteString(w, "pw=")
	_, _ = io.WriteString(w, "P@ssw0rd-long-secret\n") // the cap (12 bytes) falls after "P@ssw0rd-"
	_, _ = io.WriteString(w, "more\n")
	require.NoError(t, mw.Flush())
	assert.Equal(t, "pw=", out.String(), "no part of the secret is released")
	assert.Len(t, notices, 1)
}
