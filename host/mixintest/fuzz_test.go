package mixintest_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mixbox/mixbox/host/mixintest"
)

// FuzzParseCases checks that ParseCases never panics and that every error
// it returns is an ErrCases.
func FuzzParseCases(f *testing.F) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := mixintest.ParseCases("fuzz.yaml", data)
		if err != nil && !errors.Is(err, mixintest.ErrCases) {
			t.Fatalf("error %v does not match ErrCases", err)
		}
	})
}
