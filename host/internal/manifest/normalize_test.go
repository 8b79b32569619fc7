package manifest_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/host/internal/manifest"
)

// TestNormalize covers what the manifest's and the renderer's copies of
// normalize did alike, and the rows where they differed: the renderer's
// changed its input in place and kept a typed nil; a key printed the same
// as another took either value, by map order.
func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   func() any // a fresh input for each run
		want any
	}{
		{"a scalar", func() any { return 5 }, 5},
		{"nil", func() any { return nil }, nil},
		{"string keys", func() any { return map[string]any{"a": 1} }, map[string]any{"a": 1}},
		{"keys that are not strings", func() any { return map[any]any{1: "one", true: "yes", 1.5: "x", "two": 2} },
			map[string]any{"1": "one", "true": "yes", "1.5": "x", "two": 2}},
		{"nested in a list in a map", func() any {
			return map[string]any{"l": []any{map[any]any{1: map[any]any{2: "b"}}, "s"}}
		}, map[string]any{"l": []any{map[string]any{"1": map[string]any{"2": "b"}}, "s"}}},
		// where they differed:
		{"a typed nil list", func() any { return []any(nil) }, []any{}},
		{"a typed nil map", func() any { return map[string]any(nil) }, map[string]any{}},
		{"a string key wins over an int that prints the same", func() any { return map[any]any{1: "int", "1": "string"} },
			map[string]any{"1": "string"}},
		{"then the first by type name", func() any { return map[any]any{1: "int", 1.0: "float", uint64(1): "uint"} },
			map[string]any{"1": "float"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for range 20 { // map order varies from run to run; the result must not
				require.Equal(t, tc.want, manifest.Normalize(tc.in()))
			}
		})
	}
}

func TestNormalize_keepsInput(t *testing.T) {
	t.Parallel()
	inner := map[any]any{1: "one"}
	list := []any{inner}
	in := map[string]any{"m": inner, "l": list}
	got := manifest.Normalize(in)
	require.Equal(t, map[string]any{"m": map[string]any{"1": "one"}, "l": []any{map[string]any{"1": "one"}}}, got)
	require.Equal(t, map[any]any{1: "one"}, in["m"], "the input map is not changed")
	require.Equal(t, map[any]any{1: "one"}, list[0], "the input list is not changed")
}

// TestNormalize_yaml is what the callers get from yaml.v3: mybuns's
// `custom.foo.test5: {1: one, two: two}` (porter-compat mybuns-status).
func TestNormalize_yaml(t *testing.T) {
	t.Parallel()
	var v any
	require.NoError(t, yaml.Unmarshal([]byte("foo:\n  test4: [one, two]\n  test5:\n    1: one\n    two: two\n"), &v))
	require.IsType(t, map[any]any{}, v.(map[string]any)["foo"].(map[string]any)["test5"], "yaml.v3 decodes an int key as map[any]any")
	require.Equal(t, map[string]any{"foo": map[string]any{"test4": []any{"one", "two"}, "test5": map[string]any{"1": "one", "two": "two"}}},
		manifest.Normalize(v))
}
