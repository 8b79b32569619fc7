package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/wasm"
	"github.com/mixbox/mixbox/internal/wasmdata"
)

func TestRun(t *testing.T) {
	t.Parallel()
	// Three segments 18 bytes apart, as Go's linker writes them.
	mod := []byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01" +
		"\x0b\x15\x03" + "\x00\x41\x00\x0b\x02ab" + "\x00\x41\x14\x0b\x02cd" + "\x00\x41\x28\x0b\x01e")
	name := filepath.Join(t.TempDir(), "m.wasm")
	require.NoError(t, os.WriteFile(name, mod, 0o644))

	var out, errs bytes.Buffer
	require.Equal(t, 0, run([]string{"postlink", name}, &out, &errs), errs.String())
	require.Equal(t, name+": 3 data segments joined into 1\n", out.String())
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	res, err := wasmdata.Merge(got)
	require.NoError(t, err)
	require.Equal(t, 1, res.Before, "the file holds the merged module")

	out.Reset()
	require.Equal(t, 0, run([]string{"postlink", name}, &out, &errs))
	require.Equal(t, name+": 1 data segments, nothing to change\n", out.String())

	require.Equal(t, 2, run([]string{"postlink"}, &out, &errs))
	require.Equal(t, 1, run([]string{"postlink", filepath.Join(t.TempDir(), "missing.wasm")}, &out, &errs))
	require.Contains(t, errs.String(), "postlink: read module:")
}

// TestRun_reactor: a reactor's mutable globals get the exports the host
// would add at load, once.
func TestRun_reactor(t *testing.T) {
	t.Parallel()
	bin, err := os.ReadFile(filepath.Join("..", "..", "wasm", "testdata", "reactor.wasm"))
	require.NoError(t, err)
	name := filepath.Join(t.TempDir(), "reactor.wasm")
	require.NoError(t, os.WriteFile(name, bin, 0o644))
	var out, errs bytes.Buffer
	require.Equal(t, 0, run([]string{"postlink", name}, &out, &errs), errs.String())
	require.Contains(t, out.String(), ", mutable globals exported\n")
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	again, err := wasm.ExportGlobals(got)
	require.NoError(t, err)
	require.Equal(t, got, again, "the host finds them exported: nothing to add at load")

	out.Reset()
	require.Equal(t, 0, run([]string{"postlink", name}, &out, &errs), errs.String())
	require.Contains(t, out.String(), "nothing to change")
}
