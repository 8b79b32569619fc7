package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteGolden shows that no path into testdata/porter-compat can be
// written, however it is spelled, and that mixbox's own goldens can.
func TestWriteGolden(t *testing.T) {
	t.Parallel()
	porter := PorterCompatDir(t)
	stdout := PorterCompatFile(t, "state-upgrade", "expected", "stdout")
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(porter, link))
	own := filepath.Join(t.TempDir(), "TestX", "case.golden")
	tests := []struct {
		name    string
		path    string
		wantErr error
	}{
		{"a Porter golden", stdout, ErrPorterGolden},
		{"a new file in a case", filepath.Join(porter, "state-upgrade", "expected", "new.golden"), ErrPorterGolden},
		{"a new directory in a case", filepath.Join(porter, "state-upgrade", "more", "step-1.golden"), ErrPorterGolden},
		{"spelled with ..", ModuleRoot(t) + "/internal/../testdata/porter-compat/state-upgrade/expected/stdout", ErrPorterGolden},
		{"relative", relative(t, stdout), ErrPorterGolden},
		{"through a symlink", filepath.Join(link, "state-upgrade", "expected", "stdout"), ErrPorterGolden},
		{"mixbox's own golden", own, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before, _ := os.ReadFile(tc.path)
			err := WriteGolden(t, tc.path, []byte("rewritten\n"))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				after, _ := os.ReadFile(tc.path)
				require.Equal(t, before, after, "a refused write changed the file")
				return
			}
			require.NoError(t, err)
			got, err := os.ReadFile(tc.path)
			require.NoError(t, err)
			require.Equal(t, "rewritten\n", string(got))
		})
	}
}

func relative(t *testing.T, p string) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, p)
	require.NoError(t, err)
	return rel
}

// failures is a testing.TB that records failures instead of stopping.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper()  {}
func (f *failures) FailNow() {}
func (f *failures) Fatalf(format string, a ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, a...))
}
func (f *failures) Errorf(format string, a ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, a...))
}

// TestGolden runs the -update path against a Porter golden (refused, file
// unchanged) and shows that a missing golden fails unless -update is given.
func TestGolden(t *testing.T) {
	t.Parallel()
	stdout := PorterCompatFile(t, "state-upgrade", "expected", "stdout")
	porterBytes, err := os.ReadFile(stdout)
	require.NoError(t, err)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.golden")
	require.NoError(t, os.WriteFile(existing, []byte("same\n"), 0o644))
	tests := []struct {
		name     string
		path     string
		got      string
		update   bool
		wantFail string // a part of the failure message; "" for none
	}{
		{"-update on a Porter golden is refused", stdout, "rewritten\n", true, "refusing to write under testdata/porter-compat"},
		{"a missing golden fails", filepath.Join(dir, "missing.golden"), "x\n", false, "is missing; if the test is new, create it with: go test ./x -run TestX -update"},
		{"-update creates a missing golden", filepath.Join(dir, "new.golden"), "x\n", true, ""},
		{"a differing golden fails", existing, "other\n", false, "output differs from " + existing},
		{"an equal golden passes", existing, "same\n", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &failures{TB: t}
			golden(f, tc.path, []byte(tc.got), "go test ./x -run TestX", tc.update)
			if tc.wantFail == "" {
				require.Empty(t, f.msgs)
				got, err := os.ReadFile(tc.path)
				require.NoError(t, err)
				require.Equal(t, tc.got, string(got))
				return
			}
			require.NotEmpty(t, f.msgs, "the test did not fail")
			require.Contains(t, f.msgs[0], tc.wantFail)
		})
	}
	after, err := os.ReadFile(stdout)
	require.NoError(t, err)
	require.Equal(t, string(porterBytes), string(after), "the Porter golden changed")
}
