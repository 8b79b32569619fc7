package environ

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=/bin", "EMPTY=", "NOEQUALS", "=orphan", "A=1=2", "PATH=/usr/bin"}
	tests := []struct {
		name, key, want string
		wantOK          bool
	}{
		{"the later entry wins", "PATH", "/usr/bin", true},
		{"an empty value is set", "EMPTY", "", true},
		{"a value keeps its equals signs", "A", "1=2", true},
		{"an entry without equals is no key", "NOEQUALS", "", false},
		{"the empty key is never set", "", "", false},
		{"keys are case-sensitive", "path", "", false},
		{"an absent key", "HOME", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Lookup(env, tc.key)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestMap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		want map[string]string
	}{
		{"nil", nil, map[string]string{}},
		{"the later entry wins", []string{"K=1", "K=2"}, map[string]string{"K": "2"}},
		{"bad entries are dropped", []string{"NOEQUALS", "=v", "E="}, map[string]string{"E": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Map(tc.env)
			require.Equal(t, tc.want, got)
			for k, v := range got {
				lv, ok := Lookup(tc.env, k)
				require.True(t, ok, "Map and Lookup agree on %s", k)
				require.Equal(t, v, lv)
			}
		})
	}
}
