package wasm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/hostexec"
	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/wasmabi"
)

// TestInstance_Exec_spilled: a capture over hostexec.SpillAt goes to a
// file on the host and reaches the guest whole, in the ExecResult's JSON or,
// with raw_output, as the payload after it; nothing is left staged.
func TestInstance_Exec_spilled(t *testing.T) {
	t.Parallel()
	const size = 3 << 20 // over SpillAt
	want := strings.Repeat("abc\n", size/4)
	for _, raw := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "raw"}[raw], func(t *testing.T) {
			t.Parallel()
			in, _, _ := newInstance(t, policy.Limits{})
			root := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(root, "cnab", "app"), 0o755))
			in.executor = hostexec.New(hostexec.Options{
				Root:   root,
				Policy: policy.Mixin{Exec: []policy.ExecGrant{{Command: "*"}}},
				Env:    []string{"PATH=/usr/bin:/bin"},
			})
			mem := &fakeMem{buf: make([]byte, 16<<20)}
			req, err := json.Marshal(wasmabi.ExecRequest{Command: "sh", Args: []string{"-c", "yes abc | head -c " + itoa(size) + "; echo err >&2"},
				Stream: new(bool), RawOutput: raw})
			require.NoError(t, err)
			ptr := mem.put(0, string(req))
			n := in.exec(testCtx, mem, ptr, uint32(len(req)))
			require.Greater(t, n, wasmabi.Status(0))
			if in.spill.Stdout == nil {
				var b strings.Builder
				_, _ = in.parts[0].write(&b)
				t.Fatalf("the capture did not go to a file: %.300s", b.String())
			}

			const at = 4096
			got := in.responseRead(mem, at, uint32(len(mem.buf)-at))
			require.Equal(t, n, got)
			res, err := wasmabi.DecodeExecResult(mem.buf[at : at+int(got)])
			require.NoError(t, err)
			if raw {
				require.Empty(t, res.Stdout)
				require.Equal(t, int64(size), res.StdoutLen)
				require.Equal(t, int64(4), res.StderrLen)
				got = in.responseRead(mem, at, uint32(len(mem.buf)-at))
				require.Equal(t, wasmabi.Status(size), got)
				require.Equal(t, want, string(mem.buf[at:at+size]))
				got = in.responseRead(mem, at, 4)
				require.Equal(t, wasmabi.Status(4), got)
				require.Equal(t, "err\n", string(mem.buf[at:at+4]))
			} else {
				require.Equal(t, want, res.Stdout)
				require.Equal(t, "err\n", res.Stderr)
			}
			require.Equal(t, wasmabi.ENoResponse, in.responseRead(mem, at, 100))
			require.Nil(t, in.spill, "the capture file is released once read")
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
