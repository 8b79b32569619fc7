package run_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/errkind"
	"github.com/mixbox/mixbox/host/internal/run"
	"github.com/mixbox/mixbox/host/internal/step"
)

// TestLocate resolves a mixin in the order of docs/spec/cli.md without
// loading it: installed wasm, built-in wasm, installed native; native first
// with PreferNative; native skipped with DenyNative.
func TestLocate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	install := func(name, ext string, mode os.FileMode) string {
		p := filepath.Join(dir, name, "runtimes", name+"-runtime"+ext)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(name+ext), mode))
		return p
	}
	bothWasm := install("both", ".wasm", 0o644)
	bothNative := install("both", "", 0o755)
	nativeOnly := install("nat", "", 0o755)
	install("noexec", "", 0o644)
	builtIns := map[string][]byte{"exec": []byte("builtin exec"), "nat": []byte("builtin nat")}

	tests := []struct {
		name       string
		mixin      string
		opts       run.LocateOptions
		wantForm   step.Form
		wantPath   string
		wantWasm   string
		wantErr    error
		wantLooked string
	}{
		{"installed wasm first", "both", run.LocateOptions{}, step.FormWasmInstalled, bothWasm, "both.wasm", nil, ""},
		{"prefer native", "both", run.LocateOptions{PreferNative: true}, step.FormNative, bothNative, "", nil, ""},
		{"built-in before installed native", "nat", run.LocateOptions{}, step.FormWasmBuiltin, "", "builtin nat", nil, ""},
		{"prefer native over a built-in", "nat", run.LocateOptions{PreferNative: true}, step.FormNative, nativeOnly, "", nil, ""},
		{"built-in", "exec", run.LocateOptions{}, step.FormWasmBuiltin, "", "builtin exec", nil, ""},
		{"native denied", "both", run.LocateOptions{PreferNative: true, DenyNative: true}, step.FormWasmInstalled, bothWasm, "both.wasm", nil, ""},
		{"native only, denied", "nat", run.LocateOptions{DenyNative: true, BuiltIns: map[string][]byte{}}, 0, "", "", errkind.ErrNotInstalled, "(found, but the policy denies native mixins)"},
		{"not executable", "noexec", run.LocateOptions{}, 0, "", "", errkind.ErrNotInstalled, "is not executable"},
		{"nowhere", "ghost", run.LocateOptions{}, 0, "", "", errkind.ErrNotInstalled, "looked in " + filepath.Join(dir, "ghost", "runtimes", "ghost-runtime.wasm") + " (wasm), the built-in mixins (exec, nat)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			opts.MixinsDir = dir
			if opts.BuiltIns == nil {
				opts.BuiltIns = builtIns
			}
			got, err := run.Locate(opts, tc.mixin)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.ErrorContains(t, err, tc.wantLooked)
				require.NotEmpty(t, errkind.Hint(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantForm, got.Form)
			require.Equal(t, tc.wantPath, got.Path)
			require.Equal(t, tc.wantWasm, string(got.Wasm))
		})
	}
}
