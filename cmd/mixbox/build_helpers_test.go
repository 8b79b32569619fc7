package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeELF writes the 64-byte header of a little-endian ELF64 executable for
// machine: enough for debug/elf, not to run.
func fakeELF(t *testing.T, machine uint16) string {
	t.Helper()
	h := make([]byte, 64)
	copy(h, "\x7fELF")
	h[4], h[5], h[6] = 2, 1, 1               // ELFCLASS64, little-endian, version 1
	binary.LittleEndian.PutUint16(h[16:], 2) // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], machine)
	binary.LittleEndian.PutUint32(h[20:], 1)
	binary.LittleEndian.PutUint16(h[52:], 64) // e_ehsize
	p := filepath.Join(t.TempDir(), "fake-elf")
	require.NoError(t, os.WriteFile(p, h, 0o755))
	return p
}
