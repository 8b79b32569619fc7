package procexec

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLookPath(t *testing.T) {
	t.Parallel()
	bin := t.TempDir() // an absolute PATH entry
	dir := t.TempDir() // the working directory relative entries are taken from
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Join(bin, "tool"), 0o755},
		{filepath.Join(bin, "both"), 0o755},
		{filepath.Join(bin, "data"), 0o644},
		{filepath.Join(dir, "both"), 0o755},
		{filepath.Join(dir, "local"), 0o755},
		{filepath.Join(dir, "sub", "deep"), 0o755},
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(f.path), 0o755))
		require.NoError(t, os.WriteFile(f.path, []byte("#!/bin/sh\n"), f.mode))
	}
	require.NoError(t, os.Mkdir(filepath.Join(bin, "adir"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(bin, "tool"), filepath.Join(bin, "link")))
	missing := filepath.Join(bin, "missing")
	tests := []struct {
		name, file, path string
		want             string
		wantErr          error
	}{
		{"on an absolute entry", "tool", bin, filepath.Join(bin, "tool"), nil},
		{"a symlink to an executable", "link", bin, filepath.Join(bin, "link"), nil},
		{"the first entry that has it wins", "both", bin + ":" + dir, filepath.Join(bin, "both"), nil},
		{"a missing directory is skipped", "tool", missing + ":" + bin, filepath.Join(bin, "tool"), nil},
		{"a missing relative directory is skipped", "tool", "nowhere:" + bin, filepath.Join(bin, "tool"), nil},
		{"dot before an absolute match is refused", "both", ".:" + bin, "", exec.ErrDot},
		{"an empty entry is dot", "both", ":" + bin, "", exec.ErrDot},
		{"a trailing empty entry is dot", "local", bin + ":", "", exec.ErrDot},
		{"a relative directory is refused", "deep", "sub:" + bin, "", exec.ErrDot},
		{"an absolute match before dot wins", "both", bin + ":.", filepath.Join(bin, "both"), nil},
		{"dot does not hold it", "tool", ".:" + bin, filepath.Join(bin, "tool"), nil},
		{"not executable", "data", bin, "", exec.ErrNotFound},
		{"a directory", "adir", bin, "", exec.ErrNotFound},
		{"absent", "none", bin + ":.", "", exec.ErrNotFound},
		{"an empty PATH", "tool", "", "", exec.ErrNotFound},
		{"an empty name", "", bin, "", exec.ErrNotFound},
		{"a name with a slash is a path", "sub/deep", dir + ":" + bin, "", exec.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LookPath(tc.file, tc.path, dir)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				var ee *exec.Error
				require.ErrorAs(t, err, &ee)
				require.Equal(t, tc.file, ee.Name, "the error names the command as given")
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestLookPath_likeGo: where the working directory is the process's,
// LookPath decides as os/exec's LookPath does.
func TestLookPath_likeGo(t *testing.T) {
	bin := t.TempDir()
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(bin, "both"), filepath.Join(dir, "both"), filepath.Join(dir, "local")} {
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	}
	t.Chdir(dir)
	for _, path := range []string{".:" + bin, bin + ":.", ":" + bin, bin} {
		t.Setenv("PATH", path)
		for _, name := range []string{"both", "local", "none"} {
			want, wantErr := exec.LookPath(name)
			got, err := LookPath(name, path, dir)
			if wantErr != nil {
				require.Error(t, err, "PATH=%s %s", path, name)
				require.Equal(t, wantErr.Error(), err.Error(), "PATH=%s %s", path, name)
				continue
			}
			require.NoError(t, err, "PATH=%s %s", path, name)
			require.Equal(t, want, got, "PATH=%s %s", path, name)
		}
	}
}
