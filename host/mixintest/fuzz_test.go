package mixintest_test

import (
	"errors"
	"testing"

	"github.com/mixbox/mixbox/host/mixintest"
	"github.com/mixbox/mixbox/internal/testutil"
)

// FuzzParseCases checks that ParseCases never panics and that every error
// it returns is an ErrCases.
func FuzzParseCases(f *testing.F) {
	testutil.AddSeeds(f, "testdata/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := mixintest.ParseCases("fuzz.yaml", data)
		if err != nil && !errors.Is(err, mixintest.ErrCases) {
			t.Fatalf("error %v does not match ErrCases", err)
		}
	})
}
