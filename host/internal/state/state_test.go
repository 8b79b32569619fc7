package state

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

func TestPack_roundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	require.NoError(t, os.WriteFile(a, []byte("magic is real\n"), 0o644))
	vars := []Var{{Name: "a", Path: a}, {Name: "missing", Path: filepath.Join(dir, "nope")}}
	bagPath := filepath.Join(dir, "outputs", "porter-state")
	require.NoError(t, Pack(bagPath, vars))

	bag, err := os.ReadFile(bagPath)
	require.NoError(t, err)
	got, err := Entries(bag)
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{"porter-state/a": []byte("magic is real\n")}, got)

	// Unpack into a new place, through the base64 form cnab-go delivers.
	dst := filepath.Join(dir, "new", "deep", "a.txt")
	raw, err := Decode([]byte(base64.StdEncoding.EncodeToString(bag)))
	require.NoError(t, err)
	names, err := Unpack(raw, []Var{{Name: "a", Path: dst}})
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, names)
	data, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Equal(t, "magic is real\n", string(data))
}

func TestPack_empty(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "porter-state")
	require.NoError(t, Pack(p, nil))
	bag, err := os.ReadFile(p)
	require.NoError(t, err)
	got, err := Entries(bag)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantNil bool
		wantErr error
	}{
		{"null", "null", true, nil},
		{"empty", "", true, nil},
		{"null with newline", "null\n", true, nil},
		{"garbage", "!!not base64!!", false, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode([]byte(tc.in))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantNil, got == nil)
		})
	}
}

func TestUnpack_fixture(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(testutil.PorterCompatFile(t, "state-upgrade", "files", "porter", "state.tgz"))
	require.NoError(t, err)
	bag, err := Decode(data)
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "some_state")
	names, err := Unpack(bag, []Var{{Name: "some_state", Path: dst}})
	require.NoError(t, err)
	require.Equal(t, []string{"some_state"}, names)
}
