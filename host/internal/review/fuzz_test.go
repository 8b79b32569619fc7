package review

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mixbox/mixbox/internal/testutil"
)

// FuzzLint lints any manifest: Lint and Explain never panic, and every
// finding has a line and a hint.
func FuzzLint(f *testing.F) {
	testutil.AddSeeds(f, "../../../testdata/porter-compat/*/porter.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "porter.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := execOptions(dir)
		found, err := Lint(testCtx, opts)
		if err != nil {
			t.Fatalf("lint: %v", err)
		}
		for _, f := range found {
			if f.Line < 1 || f.Hint == "" || f.Message == "" || f.Code == "" {
				t.Fatalf("finding without a line, a message or a hint: %+v", f)
			}
		}
		if _, err := Explain(testCtx, opts); err != nil && len(found) == 0 {
			t.Fatalf("explain fails on a manifest lint finds nothing in: %v", err)
		}
	})
}
