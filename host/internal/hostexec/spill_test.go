package hostexec

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi"
)

// holdMask is a MaskWriter that masks "s3cr3t": it holds everything back
// until Flush, which a masking writer may do.
type holdMask struct {
	w    io.Writer
	held []byte
}

func (m *holdMask) Write(p []byte) (int, error) {
	m.held = append(m.held, p...)
	return len(p), nil
}

func (m *holdMask) Flush() error {
	_, err := m.w.Write(bytes.ReplaceAll(m.held, []byte("s3cr3t"), []byte("*******")))
	m.held = nil
	return err
}

// spilling is an executor whose captures go to files, as Local's do past
// SpillAt.
type spilling struct{ stdout, stderr string }

func (s spilling) Exec(_ context.Context, c Call) (wasmabi.ExecResult, error) {
	spool := func(text string) *Spooled {
		f, err := newSpoolFile()
		if err != nil {
			panic(err)
		}
		if _, err := io.WriteString(f, text); err != nil {
			panic(err)
		}
		return &Spooled{f: f, n: int64(len(text)), refs: 1}
	}
	c.Spill.Stdout, c.Spill.Stderr = spool(s.stdout), spool(s.stderr)
	return wasmabi.ExecResult{ExitCode: 3}, nil
}

// TestRecorder_spilled: captures kept in files are streamed into the
// recording, masked, and read back byte for byte: every character a YAML
// double-quoted scalar must escape, and a capture that is not UTF-8.
func TestRecorder_spilled(t *testing.T) {
	t.Parallel()
	tricky := "plain \"quoted\" back\\slash\ttab\r\n" + "nul\x00 bell\a esc\x1b del\x7f c1\u0085\u009f nbsp\u00a0 ls\u2028 ps\u2029 bom\ufeff nonchar\ufffe\uffff é 😀 "
	stdout := strings.Repeat(tricky, 3) + "token=s3cr3t " + strings.Repeat("y\n", SpillAt)
	stderr := "not utf-8: \xff\xfe s3cr3t \xc3"
	file := filepath.Join(t.TempDir(), "exec.yaml")
	rec := NewRecorder(RecorderOptions{
		Path:       file,
		Mask:       func(s string) string { return strings.ReplaceAll(s, "s3cr3t", "*******") },
		MaskStream: func(w io.Writer) MaskWriter { return &holdMask{w: w} },
	})
	t.Cleanup(rec.Close)
	exe := rec.Wrap(spilling{stdout: stdout, stderr: stderr})
	spill := &Spill{}
	res, err := exe.Exec(testCtx, Call{Mixin: "m", Request: wasmabi.ExecRequest{Command: "big", Args: []string{"s3cr3t"}}, Spill: spill})
	require.NoError(t, err)
	require.Equal(t, 3, res.ExitCode)
	spill.Close() // the caller's references; the recorder keeps its own
	require.NoError(t, rec.Flush())

	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NotContains(t, string(data), "s3cr3t")
	entries, err := ParseEntries(data)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	got := entries[0]
	require.Equal(t, "big", got.Command)
	require.Equal(t, []string{"*******"}, got.Args)
	require.Equal(t, 3, got.ExitCode)
	require.Equal(t, strings.ReplaceAll(stdout, "s3cr3t", "*******"), got.Stdout, "stdout reads back as it was, masked")
	require.Equal(t, strings.ReplaceAll(stderr, "s3cr3t", "*******"), got.Stderr, "a capture that is not UTF-8 too")
}
