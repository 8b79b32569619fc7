package scaffold_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/scaffold"
)

func TestNew(t *testing.T) {
	t.Parallel()
	checkout := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(checkout, "go.mod"), []byte(`module github.com/mixbox/mixbox

go 1.26.0

require (
	github.com/tetratelabs/wazero v1.12.0 // indirect
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/stretchr/testify v1.12.1
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(checkout, "go.sum"), []byte("sum\n"), 0o644))
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644))

	tests := []struct {
		name     string
		opts     scaffold.Options
		existing string // a file to create in Dir first
		wantErr  error
		wantMsg  string
	}{
		{name: "a mixin against a checkout", opts: scaffold.Options{Name: "helm3", MixboxDir: checkout}},
		{name: "an upper-case name", opts: scaffold.Options{Name: "Helm"}, wantErr: scaffold.ErrName},
		{name: "a path as name", opts: scaffold.Options{Name: "a/b"}, wantErr: scaffold.ErrName},
		{name: "a trailing dash", opts: scaffold.Options{Name: "a-"}, wantErr: scaffold.ErrName},
		{name: "an existing file", opts: scaffold.Options{Name: "x", MixboxDir: checkout}, existing: "main.go", wantErr: scaffold.ErrExists},
		{name: "not a mixbox checkout", opts: scaffold.Options{Name: "x", MixboxDir: other}, wantMsg: "is not a mixbox checkout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.opts.Dir = filepath.Join(t.TempDir(), "m")
			if tc.existing != "" {
				require.NoError(t, os.MkdirAll(tc.opts.Dir, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(tc.opts.Dir, tc.existing), nil, 0o644))
			}
			res, err := scaffold.New(tc.opts)
			switch {
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr)
				return
			case tc.wantMsg != "":
				require.ErrorContains(t, err, tc.wantMsg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []string{"Makefile", "README.md", ".gitignore", "go.mod", "main.go", "mixin.yaml", "mixin_test.go", "step.go", "testdata/cases.yaml", "go.sum"}, res.Files)
			gomod, err := os.ReadFile(filepath.Join(tc.opts.Dir, "go.mod"))
			require.NoError(t, err)
			require.Equal(t, `module helm3

go 1.26.0

require github.com/mixbox/mixbox v0.0.0-00010101000000-000000000000

require (
	github.com/tetratelabs/wazero v1.12.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)

replace github.com/mixbox/mixbox => `+filepath.ToSlash(checkout)+"\n", string(gomod))
			cases, err := os.ReadFile(filepath.Join(tc.opts.Dir, "testdata/cases.yaml"))
			require.NoError(t, err)
			require.Contains(t, string(cases), "mixin: ../helm3-runtime.wasm\n")
			require.Contains(t, string(cases), "        - helm3:\n")
		})
	}
}
