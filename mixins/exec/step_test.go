package exec

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// canonical sorts each step's flags, which both decodings collect from a
// map in no order.
func canonical(actions []action) []action {
	for _, a := range actions {
		for i := range a.Steps {
			slices.SortStableFunc(a.Steps[i].Flags, func(x, y cmdFlag) int { return strings.Compare(x.Name, y.Name) })
		}
	}
	return actions
}

// stepInputs are the step inputs in testdata and a few that the round trip
// would change.
func stepInputs(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	require.NoError(t, err)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out = append(out, b)
	}
	for _, s := range []string{
		warmInput,
		"install:\n- exec:\n    command: echo\n    arguments: [01, 0x1F, 1.50, True, ~, 2001-12-14]\n",
		"install:\n- exec:\n    command: &c echo\n    description: *c\n",
		"install:\n- exec:\n    command: !!str 1\n",
		"install:\n- exec:\n    <<: {command: echo}\n",
		"install:\n- exec:\n    command: echo\n    command: again\n",
		"install:\n- exec:\n    command: echo\n    flags: {a: 1, b: true, c: [x, y], d: , e: \"q\"}\n",
		"upgrade: []\ninstall:\n- exec: {command: a}\n",
		"install:\n- exec:\n    command: \"line\\none\\n\"\n    description: |\n      kept\n       indented \n",
		"install: nope\n",
		"[1, 2]\n",
		"",
	} {
		out = append(out, []byte(s))
	}
	return out
}

// TestLoadActionsDirect: the direct decoding gives what Porter's round trip
// gives, whenever it applies, and it applies to plain steps.
func TestLoadActionsDirect(t *testing.T) {
	t.Parallel()
	applied := 0
	for _, in := range stepInputs(t) {
		direct, ok := loadActionsDirect(in)
		if !ok {
			continue
		}
		applied++
		want, err := loadActionsRoundTrip(in)
		require.NoError(t, err, "%s", in)
		assert.Equal(t, canonical(want), canonical(direct), "%s", in)
	}
	assert.Positive(t, applied)
	for _, in := range []string{
		warmInput,
		"install:\n- exec:\n    description: bench\n    command: \"true\"\n    arguments: [a, b]\n",
		string(readTestdata(t, "install-input.yaml")),
		string(readTestdata(t, "suffix-args-input.yaml")),
		string(readTestdata(t, "two-steps-input.yaml")),
	} {
		_, ok := loadActionsDirect([]byte(in))
		assert.True(t, ok, "a plain step is decoded directly: %q", in)
	}
	for _, in := range []string{
		"install:\n- exec:\n    command: echo\n    arguments: [01]\n",
		"install:\n- exec:\n    command: echo\n    arguments: [True]\n",
		"install:\n- exec:\n    command: echo\n    description: ~\n",
		"install:\n- exec:\n    command: &c echo\n",
		"install:\n- exec:\n    command: echo\n    command: again\n",
	} {
		_, ok := loadActionsDirect([]byte(in))
		assert.False(t, ok, "the round trip changes %q: it decides", in)
	}
}

func FuzzLoadActionsDirect(f *testing.F) {
	for _, in := range stepInputs(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		direct, ok := loadActionsDirect(in)
		if !ok {
			return
		}
		want, err := loadActionsRoundTrip(in)
		require.NoError(t, err, "the round trip fails where the direct decoding did not: %q", in)
		require.Equal(t, canonical(want), canonical(direct), "%q", in)
	})
}
