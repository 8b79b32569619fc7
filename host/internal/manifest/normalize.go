package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// Normalize returns v, a value decoded from YAML into `any`, with every
// map made a map[string]any: the manifest's custom section, mixin configs
// and defaults, and a rendered step, so that templates address every map
// by string keys and a step marshals with string keys. yaml.v3 decodes a
// mapping with a key that is not a string (`1: one`) as map[any]any; its
// keys become their fmt.Sprint form ("1"). When two keys print the same
// (`1` and `"1"`), the string key wins, then the first non-string key by
// Go type name, so the result does not depend on map order. Slices become
// []any and scalars are kept. v is not changed: maps and slices are new.
func Normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = Normalize(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		var others []any
		for k, x := range t {
			if s, ok := k.(string); ok {
				out[s] = Normalize(x)
			} else {
				others = append(others, k)
			}
		}
		slices.SortFunc(others, func(a, b any) int {
			return strings.Compare(fmt.Sprintf("%s %T", fmt.Sprint(a), a), fmt.Sprintf("%s %T", fmt.Sprint(b), b))
		})
		for _, k := range others {
			s := fmt.Sprint(k)
			if _, taken := out[s]; !taken {
				out[s] = Normalize(t[k])
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = Normalize(x)
		}
		return out
	}
	return v
}
