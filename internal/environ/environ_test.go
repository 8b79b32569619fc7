package environ_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/environ"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	env := []string{"A=1", "B=", "A=2", "noequals", "=x", "C=a=b"}
	tests := []struct {
		name, key, want string
		ok              bool
	}{
		{"last wins", "A", "2", true},
		{"empty value is set", "B", "", true},
		{"value with =", "C", "a=b", true},
		{"missing", "D", "", false},
		{"entry without = is no name", "noequals", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := environ.Lookup(env, tc.key)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestMap(t *testing.T) {
	t.Parallel()
	got := environ.Map([]string{"A=1", "B=", "A=2", "noequals", "=x", "C=a=b"})
	require.Equal(t, map[string]string{"A": "2", "B": "", "C": "a=b"}, got)
}
