package testutil

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ErrPorterGolden is returned by WriteGolden for a path inside
// testdata/porter-compat: those files are what the real Porter produced.
var ErrPorterGolden = errors.New("refusing to write under testdata/porter-compat: its files are what the real Porter produced, read-only inputs")

// update is the -update flag of every test binary that imports testutil.
var update = flag.Bool("update", false, "rewrite mixbox's own golden files (never those under testdata/porter-compat)")

// Golden compares got with the golden file at path; rerun is the command
// that runs the test ("go test ./host/internal/tmpl -run TestRenderStep").
// With -update it first rewrites the file through WriteGolden. Without it, a
// missing golden fails the test, saying how to create it.
func Golden(t testing.TB, path string, got []byte, rerun string) {
	t.Helper()
	golden(t, path, got, rerun, *update)
}

func golden(t testing.TB, path string, got []byte, rerun string, update bool) {
	t.Helper()
	if update {
		if err := WriteGolden(t, path, got); err != nil {
			t.Fatalf("update golden file: %v", err)
			return
		}
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("golden file %s is missing; if the test is new, create it with: %s -update", path, rerun)
		return
	}
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "output differs from %s; if intended run: %s -update", path, rerun)
}

// WriteGolden writes data to the golden file at path, creating its
// directory. It refuses (ErrPorterGolden) any path that resolves into the
// module's testdata/porter-compat, through ".." or symlinks too.
func WriteGolden(t testing.TB, path string, data []byte) error {
	t.Helper()
	porter, err := resolve(filepath.Join(ModuleRoot(t), "testdata", "porter-compat"))
	if err != nil {
		return fmt.Errorf("write golden %s: %w", path, err)
	}
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("write golden %s: %w", path, err)
	}
	if rel, err := filepath.Rel(porter, target); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("write golden %s: %w", path, ErrPorterGolden)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write golden %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write golden %s: %w", path, err)
	}
	return nil
}

// resolve returns the absolute path p names once every symlink of its
// longest existing prefix is followed; the rest is taken as written.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		resolved, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(resolved, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if filepath.Dir(dir) == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}
