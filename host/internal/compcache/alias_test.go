package compcache

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wazeroBody is a body as wazero serialises a compiled module of funcs
// functions: "WAZEVO", the version, the count, then code.
func wazeroBody(funcs uint32) []byte {
	b := []byte("WAZEVO\x07v1.12.0")
	b = append(b, byte(funcs), byte(funcs>>8), byte(funcs>>16), byte(funcs>>24))
	return append(b, bytes.Repeat([]byte("code"), 1000)...)
}

// TestCache_Alias: an alias comes back as it was kept; a damaged one is
// removed and not returned.
func TestCache_Alias(t *testing.T) {
	t.Parallel()
	c := openTemp(t)
	sum := [32]byte{7}
	_, ok := c.Alias(sum)
	assert.False(t, ok)
	a := Alias{Entry: Key{1}, Stub: Key{2}, Funcs: 4370}
	require.NoError(t, c.SetAlias(sum, a))
	got, ok := c.Alias(sum)
	require.True(t, ok)
	assert.Equal(t, a, got)

	for i := range aliasSize {
		require.NoError(t, c.SetAlias(sum, a))
		b, err := os.ReadFile(c.aliasPath(sum))
		require.NoError(t, err)
		b[i] ^= 0x01
		require.NoError(t, os.WriteFile(c.aliasPath(sum), b, 0o600))
		_, ok := c.Alias(sum)
		require.False(t, ok, "byte %d flipped", i)
		assert.NoFileExists(t, c.aliasPath(sum))
	}
	require.NoError(t, os.WriteFile(c.aliasPath(sum), []byte("short"), 0o600))
	_, ok = c.Alias(sum)
	assert.False(t, ok)
}

// TestCache_Record: Record tells the key of the entry a compile found or
// wrote, and nothing when it found none and wrote none.
func TestCache_Record(t *testing.T) {
	t.Parallel()
	c := openTemp(t)
	end := c.Record()
	_, ok, err := c.Get(Key{1})
	require.NoError(t, err)
	require.False(t, ok)
	_, ok = end()
	assert.False(t, ok, "a miss is no entry")

	end = c.Record()
	require.NoError(t, c.Add(Key{1}, bytes.NewReader(wazeroBody(3))))
	key, ok := end()
	require.True(t, ok)
	assert.Equal(t, Key{1}, key)

	end = c.Record()
	rc, ok, err := c.Get(Key{1})
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, rc.Close())
	key, ok = end()
	require.True(t, ok)
	assert.Equal(t, Key{1}, key)
}

// TestCache_Capture: under Capture a lookup fails and its key is told.
func TestCache_Capture(t *testing.T) {
	t.Parallel()
	c := openTemp(t)
	require.NoError(t, c.Add(Key{1}, bytes.NewReader(wazeroBody(3))))
	end := c.Capture()
	_, ok, err := c.Get(Key{1})
	require.ErrorIs(t, err, errCaptured)
	require.False(t, ok, "even an entry that is there")
	key, ok := end()
	require.True(t, ok)
	assert.Equal(t, Key{1}, key)
	_, ok, err = c.Get(Key{1})
	require.NoError(t, err)
	assert.True(t, ok, "Capture ends with its function")
}

// TestCache_Serve: the stand-in's key is served the entry when the entry
// compiles as many functions; anything else fails with ErrNotServed and
// nothing is written.
func TestCache_Serve(t *testing.T) {
	t.Parallel()
	c := openTemp(t)
	body := wazeroBody(3)
	require.NoError(t, c.Add(Key{1}, bytes.NewReader(body)))
	serve := func(a Alias, key Key) ([]byte, error) {
		end := c.Serve(a)
		defer end()
		rc, ok, err := c.Get(key)
		if err != nil {
			require.False(t, ok)
			return nil, err
		}
		require.True(t, ok)
		defer func() { require.NoError(t, rc.Close()) }()
		return io.ReadAll(rc)
	}
	a := Alias{Entry: Key{1}, Stub: Key{2}, Funcs: 3}
	got, err := serve(a, Key{2})
	require.NoError(t, err)
	assert.Equal(t, body, got)

	_, err = serve(a, Key{3})
	require.ErrorIs(t, err, ErrNotServed, "another stand-in key")
	_, err = serve(Alias{Entry: Key{1}, Stub: Key{2}, Funcs: 4}, Key{2})
	require.ErrorIs(t, err, ErrNotServed, "another function count")
	_, err = serve(Alias{Entry: Key{9}, Stub: Key{2}, Funcs: 3}, Key{2})
	require.ErrorIs(t, err, ErrNotServed, "no entry")

	end := c.Serve(a)
	require.NoError(t, c.Add(Key{2}, bytes.NewReader(body)))
	require.NoError(t, c.Delete(Key{1}))
	end()
	assert.NoFileExists(t, c.path(Key{2}), "a served compile writes nothing")
	assert.FileExists(t, c.path(Key{1}), "nor deletes")
}
