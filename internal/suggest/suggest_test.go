package suggest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClosest(t *testing.T) {
	t.Parallel()
	known := []string{"exec", "helm3", "kubernetes", "az"}
	tests := []struct {
		name, in string
		want     string
		wantOK   bool
	}{
		{"a swap", "exce", "exec", true},
		{"a substitution", "exca", "exec", true},
		{"a missing letter", "exe", "exec", true},
		{"an extra letter", "execc", "exec", true},
		{"two edits in a long name", "kubernets", "kubernetes", true},
		{"a version digit", "helm", "helm3", true},
		{"an exact match is no suggestion", "exec", "", false},
		{"too far", "terraform", "", false},
		{"a short name is not matched to another", "xy", "", false},
		{"one edit in a short name", "ax", "az", true},
		{"empty", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Closest(tc.in, known)
			require.Equal(t, tc.wantOK, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"exec", "exce", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, Distance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		require.Equal(t, tc.want, Distance(tc.b, tc.a), "%q %q", tc.b, tc.a)
	}
}
