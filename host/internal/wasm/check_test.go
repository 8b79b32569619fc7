package wasm

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/wasmabi"
)

// customSection encodes a custom section.
func customSection(name string, content []byte) []byte {
	body := appendULEB(nil, uint64(len(name)))
	body = append(append(body, name...), content...)
	out := appendULEB([]byte{secCustom}, uint64(len(body)))
	return append(out, body...)
}

func TestEngine_Load(t *testing.T) {
	t.Parallel()
	hello := guest(t, "hello")
	withMeta := func(meta string) []byte {
		return append(bytes.Clone(hello), customSection(wasmabi.SectionName, []byte(meta))...)
	}
	tests := []struct {
		name     string
		bin      []byte
		wantErrs []error
		wantMsg  []string
	}{
		{name: "hello", bin: hello},
		{name: "with metadata", bin: withMeta("name: probe\nabi: mixbox_v1\ncapabilities: {exec: [helm]}\n")},
		{name: "empty file", bin: nil, wantErrs: []error{ErrNotWasm}, wantMsg: []string{"expected a WASI preview 1 core module"}},
		{name: "garbage", bin: []byte("#!/bin/sh\necho hi\n"), wantErrs: []error{ErrNotWasm}, wantMsg: []string{"is not a WebAssembly module"}},
		{name: "magic only", bin: []byte("\x00asm"), wantErrs: []error{ErrTruncated}},
		{name: "truncated section", bin: hello[:len(hello)-5], wantErrs: []error{ErrTruncated}, wantMsg: []string{"is truncated", "only"}},
		{name: "component", bin: []byte("\x00asm\x0d\x00\x01\x00\x01\x02\x03"), wantErrs: []error{ErrComponent},
			wantMsg: []string{"is a WebAssembly component; expected a WASI preview 1 core module"}},
		{name: "version 2", bin: []byte("\x00asm\x02\x00\x00\x00"), wantErrs: []error{ErrVersion}},
		{name: "unknown section id", bin: []byte("\x00asm\x01\x00\x00\x00\x20\x00"), wantErrs: []error{ErrMalformed}},
		{name: "invalid code", bin: []byte("\x00asm\x01\x00\x00\x00" +
			"\x01\x04\x01\x60\x00\x00" + "\x03\x02\x01\x00" + "\x05\x03\x01\x00\x01" +
			"\x07\x13\x02\x06_start\x00\x00\x06memory\x02\x00" + "\x0a\x05\x01\x03\x00\xff\x0b"),
			wantErrs: []error{ErrMalformed}, wantMsg: []string{"is malformed"}},
		{name: "no exports", bin: []byte("\x00asm\x01\x00\x00\x00"), wantErrs: []error{ErrMissingExport},
			wantMsg: []string{"it exports neither _start nor mixbox_step; expected a WASI preview 1 command module exporting _start and memory, or a reactor exporting mixbox_step and memory (abi-v1 §1a)", `does not export memory "memory"`}},
		{name: "_start with a parameter", bin: guest(t, "startparam"), wantErrs: []error{ErrStartSignature},
			wantMsg: []string{"it exports _start with signature (i32) -> (); _start must be a function with no parameters and no results"}},
		{name: "_start with a result", bin: guest(t, "startresult"), wantErrs: []error{ErrStartSignature},
			wantMsg: []string{"it exports _start with signature () -> (i32); _start must be a function with no parameters and no results"}},
		{name: "_start is an imported function with a parameter", bin: guest(t, "startimport"), wantErrs: []error{ErrStartSignature},
			wantMsg: []string{"it exports _start with signature (i32) -> ();"}},
		{name: "_start not a function and memory not a memory", bin: guest(t, "exportkinds"), wantErrs: []error{ErrMissingExport},
			wantMsg: []string{
				"it exports _start as a global; _start must be a function with no parameters and no results",
				"it exports memory as a func; memory must be the module's linear memory",
			}},
		{name: "export of a function that does not exist", bin: []byte("\x00asm\x01\x00\x00\x00" +
			"\x01\x04\x01\x60\x00\x00" + "\x03\x02\x01\x00" + "\x05\x03\x01\x00\x01" +
			"\x07\x13\x02\x06_start\x00\x05\x06memory\x02\x00" + "\x0a\x04\x01\x02\x00\x0b"),
			wantErrs: []error{ErrMalformed}, wantMsg: []string{"is malformed"}},
		{name: "bad imports, all listed", bin: guest(t, "badimports"),
			wantErrs: []error{ErrImportModule, ErrUnknownFunction, ErrSignature, ErrMissingExport},
			wantMsg: []string{
				`env.foo from module "env"`,
				"mixin probe needs mixbox_v1.teleport, which this mixbox (v0.0.0-test) does not provide; upgrade mixbox",
				"mixbox_v1.log with signature (i32, i32) -> (i32); expected (i32, i32, i32) -> (i32)",
				"wasi_snapshot_preview1.memory as a memory",
				"wasi_snapshot_preview1.no_such_call",
			}},
		{name: "bad metadata", bin: withMeta("name: [unclosed"), wantErrs: []error{ErrMetadata}},
		{name: "metadata for another abi", bin: withMeta("name: probe\nabi: mixbox_v2\n"), wantMsg: []string{`declares abi "mixbox_v2"`}},
	}
	e := newEngine(t, EngineOptions{Interpreter: true})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := e.Load(testCtx, "probe", tc.bin)
			if len(tc.wantErrs) == 0 && len(tc.wantMsg) == 0 {
				require.NoError(t, err)
				assert.True(t, m.Info().Accepted)
				return
			}
			require.ErrorIs(t, err, ErrIncompatible, "every module check error maps to exit 3")
			for _, want := range tc.wantErrs {
				require.ErrorIs(t, err, want)
			}
			require.Nil(t, m, "a refused module is never compiled")
			for _, want := range tc.wantMsg {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestEngine_LoadUnknownFunctionMessage(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true, Version: "v1.2.3"})
	// Only the unknown function is wrong: the message is exactly abi-v1 §7's.
	bin := bytes.Clone(guest(t, "hello"))
	i := bytes.Index(bin, []byte("mask"))
	require.Positive(t, i)
	copy(bin[i:], "mast")
	_, err := e.Load(testCtx, "helm3", bin)
	require.ErrorIs(t, err, ErrUnknownFunction)
	require.EqualError(t, err, "incompatible mixin: mixin helm3 needs mixbox_v1.mast, which this mixbox (v1.2.3) does not provide; upgrade mixbox")
}

func TestEngine_LoadOnce(t *testing.T) {
	t.Parallel()
	e := newEngine(t, EngineOptions{Interpreter: true})
	bin := guest(t, "hello")
	mods := make(chan *Module, 8)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			m, err := e.Load(testCtx, "probe", bin)
			errs <- err
			mods <- m
		}()
	}
	var first *Module
	for range 8 {
		require.NoError(t, <-errs)
		m := <-mods
		if first == nil {
			first = m
		}
		assert.Same(t, first.compiled, m.compiled, "compiled once")
	}
	other, err := e.Load(testCtx, "other", bin)
	require.NoError(t, err)
	assert.Same(t, first.compiled, other.compiled)
	assert.Equal(t, "other", other.Name())
}

func TestEngine_CacheDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newEngine(t, EngineOptions{CacheDir: dir})
	load(t, e, "hello")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.NotEmpty(t, entries, "compiled code is cached on disk")
}

func TestInspect(t *testing.T) {
	t.Parallel()
	meta := "name: helm3\nversion: v1.2.0\nabi: mixbox_v1\ncapabilities:\n  exec: [helm]\n  env: [KUBECONFIG]\n"
	packed, err := Pack(guest(t, "hello"), []byte(meta))
	require.NoError(t, err)
	got, err := Inspect(testCtx, "v0.1.0", packed)
	require.NoError(t, err)
	assert.True(t, got.Accepted, got.Reason)
	assert.Equal(t, wasmabi.Module, got.ABI)
	assert.Equal(t, len(packed), got.Size)
	assert.Equal(t, int64(pageSize), got.MemoryMin)
	assert.Equal(t, int64(-1), got.MemoryMax)
	require.NotNil(t, got.Metadata)
	assert.Equal(t, wasmabi.Metadata{Name: "helm3", Version: "v1.2.0", ABI: "mixbox_v1",
		Capabilities: wasmabi.Capabilities{Exec: []string{"helm"}, Env: []string{"KUBECONFIG"}}}, *got.Metadata)
	assert.Contains(t, got.Imports, Import{Module: "mixbox_v1", Name: "log", Kind: "func", Params: []string{"i32", "i32", "i32"}, Results: []string{"i32"}})
	assert.Equal(t, []Export{{Name: "memory", Kind: "memory"}, {Name: "_start", Kind: "func"}}, got.Exports)

	bad, err := Inspect(testCtx, "v0.1.0", guest(t, "badimports"))
	require.NoError(t, err)
	assert.False(t, bad.Accepted)
	assert.Contains(t, bad.Reason, "mixbox_v1.teleport")

	garbage, err := Inspect(testCtx, "v0.1.0", []byte("nope"))
	require.NoError(t, err)
	assert.False(t, garbage.Accepted)
	assert.Contains(t, garbage.Reason, "not a WebAssembly module")
}

func TestPack(t *testing.T) {
	t.Parallel()
	hello := guest(t, "hello")
	once, err := Pack(hello, []byte(`{"name":"a"}`))
	require.NoError(t, err)
	twice, err := Pack(once, []byte("name: b\n"))
	require.NoError(t, err)
	assert.Equal(t, 1, bytes.Count(twice, []byte(wasmabi.SectionName)), "the old section is replaced")

	e := newEngine(t, EngineOptions{Interpreter: true})
	m, err := e.Load(testCtx, "b", twice)
	require.NoError(t, err, "a packed module stays valid")
	assert.Equal(t, "b", m.Info().Metadata.Name)
	res, err := NewRunner(e, m, RunnerOptions{}).Run(testCtx, stepInput("install"), (&stdio{}).io(false))
	require.NoError(t, err)
	assert.Equal(t, []byte("hi"), res.Outputs["greeting"])

	_, err = Pack(hello, []byte("name: [bad"))
	require.ErrorIs(t, err, ErrMetadata)
	_, err = Pack([]byte("nope"), []byte("name: a\n"))
	require.ErrorIs(t, err, ErrNotWasm)
}

// TestTestdataUpToDate rebuilds every guest from its WAT source when
// wat2wasm is installed and checks the committed .wasm matches.
func TestTestdataUpToDate(t *testing.T) {
	t.Parallel()
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm not installed (apt-get install wabt)")
	}
	srcs, err := filepath.Glob("testdata/*.wat")
	require.NoError(t, err)
	require.NotEmpty(t, srcs)
	for _, src := range srcs {
		out := filepath.Join(t.TempDir(), "out.wasm")
		b, err := exec.Command(tool, "-o", out, src).CombinedOutput()
		require.NoError(t, err, string(b))
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		want := guest(t, strings.TrimSuffix(filepath.Base(src), ".wat"))
		require.True(t, bytes.Equal(want, got), "%s is stale; run: make -C host/internal/wasm/testdata", src)
	}
}

func TestIncompatError(t *testing.T) {
	t.Parallel()
	err := &incompatError{msg: "incompatible mixin: x", causes: []error{ErrSignature}}
	assert.True(t, errors.Is(err, ErrIncompatible))
	assert.True(t, errors.Is(err, ErrSignature))
	assert.False(t, errors.Is(err, ErrNotWasm))
}
