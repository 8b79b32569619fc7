package wasm

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/host/internal/policy"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// imagedRun is one run of a test guest in a new engine on the cache dir:
// what a new mixbox process does. It returns the outputs of steps steps.
func imagedRun(t *testing.T, dir string, bin []byte, opts RunnerOptions, steps int) []map[string]int32 {
	t.Helper()
	e := newEngine(t, EngineOptions{CacheDir: dir})
	m, err := e.Load(testCtx, "probe", bin)
	require.NoError(t, err)
	r := NewRunner(e, m, opts)
	defer func() { require.NoError(t, r.Close(testCtx)) }()
	var out []map[string]int32
	for range steps {
		res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
		require.NoError(t, err)
		out = append(out, i32Outputs(t, res, "rand", "global", "pages", "initenv", "env"))
	}
	return out
}

// images returns the initialization images in the cache dir.
func images(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*", "*.init"))
	require.NoError(t, err)
	return m
}

// keptImage returns the one image in the cache dir and its bytes.
func keptImage(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	imgs := images(t, dir)
	require.Len(t, imgs, 1)
	b, err := os.ReadFile(imgs[0])
	require.NoError(t, err)
	return imgs[0], b
}

func TestImage_laterRunsStartFromIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := guest(t, "imaged")
	first := imagedRun(t, dir, bin, RunnerOptions{}, 2)
	require.Len(t, images(t, dir), 1, "the first run keeps the image")
	init := first[0]
	assert.Equal(t, init["rand"], init["global"], "the global is the random cell")
	assert.Equal(t, int32(2), init["pages"])
	assert.Equal(t, init, first[1], "the second step starts from the snapshot")
	for range 2 {
		later := imagedRun(t, dir, bin, RunnerOptions{}, 2)
		assert.Equal(t, []map[string]int32{init, init}, later,
			"a later run starts from the image: the random bytes, the global and the memory size of the first _initialize")
	}
	assert.Len(t, images(t, dir), 1)
}

func TestImage_notKept(t *testing.T) {
	t.Parallel()
	bin := guest(t, "imaged")
	noExport := bytes.Replace(bin, []byte("mixbox_env_per_step"), []byte("mixbox_env_per_stex"), 1)
	require.NotEqual(t, bin, noExport)
	for name, c := range map[string]struct {
		bin  []byte
		opts RunnerOptions
	}{
		// Without mixbox_env_per_step its state may depend on argv and env.
		"no mixbox_env_per_step": {bin: noExport},
		// Its _initialize logs: a later run would not.
		"_initialize calls the host": {bin: guest(t, "imagedlog")},
		// mixin test: every run initializes, as a run with its own clocks does.
		"deterministic": {bin: bin, opts: RunnerOptions{Deterministic: &Deterministic{Seed: 1}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			first := imagedRun(t, dir, c.bin, c.opts, 1)[0]
			assert.Empty(t, images(t, dir))
			second := imagedRun(t, dir, c.bin, c.opts, 1)[0]
			if c.opts.Deterministic == nil {
				assert.NotEqual(t, first["rand"], second["rand"], "the second run initializes again (its own random bytes)")
			}
		})
	}
}

// TestImage_holdsNothingOfTheRun: an image's _initialize sees a program name
// and no environment, whatever the run that makes it has; every step sees
// its own run's. Without a disk cache no image can be kept, and
// _initialize sees the run's own.
func TestImage_holdsNothingOfTheRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := guest(t, "imaged")
	env := map[string]string{"CNAB_INSTALLATION_NAME": "a", "PORTER_DEBUG": "true"}
	first := imagedRun(t, dir, bin, RunnerOptions{Env: env}, 1)[0]
	assert.Equal(t, int32(0), first["initenv"], "_initialize saw no environment")
	assert.Equal(t, int32(3), first["env"], "the step sees CNAB_ACTION and its run's two")
	later := imagedRun(t, dir, bin, RunnerOptions{Env: map[string]string{"CNAB_REVISION": "r2"}}, 1)[0]
	assert.Equal(t, first["rand"], later["rand"], "the later run starts from the image")
	assert.Equal(t, int32(0), later["initenv"])
	assert.Equal(t, int32(2), later["env"])

	e := newEngine(t, EngineOptions{Interpreter: true})
	m, err := e.Load(testCtx, "probe", bin)
	require.NoError(t, err)
	r := NewRunner(e, m, RunnerOptions{Env: env})
	defer func() { require.NoError(t, r.Close(testCtx)) }()
	res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
	require.NoError(t, err)
	got := i32Outputs(t, res, "initenv", "env")
	assert.Equal(t, map[string]int32{"initenv": 3, "env": 3}, got, "no cache, no image: _initialize sees the run's environment")
}

func TestImage_keyedByPreopens(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := guest(t, "imaged")
	bundle := t.TempDir()
	withBundle := RunnerOptions{Policy: policy.Mixin{Mount: true}, BundleDir: bundle}
	a := imagedRun(t, dir, bin, withBundle, 1)[0]
	b := imagedRun(t, dir, bin, RunnerOptions{}, 1)[0]
	assert.NotEqual(t, a["rand"], b["rand"], "another set of preopens has an image of its own")
	assert.Len(t, images(t, dir), 2)
	// Another host directory at the same guest path is the same image.
	other := RunnerOptions{Policy: policy.Mixin{Mount: true}, BundleDir: t.TempDir()}
	assert.Equal(t, a, imagedRun(t, dir, bin, other, 1)[0])
}

// TestImage_damaged: an image that fails a check is removed before the
// instance runs any of it; the run initializes and keeps a good image.
func TestImage_damaged(t *testing.T) {
	t.Parallel()
	le := binary.LittleEndian
	for name, damage := range map[string]func(b []byte) []byte{
		"a memory byte":      func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"a global":           func(b []byte) []byte { b[imageHeader] ^= 1; return b },
		"truncated":          func(b []byte) []byte { return b[:len(b)-100] },
		"longer":             func(b []byte) []byte { return append(b, 0) },
		"empty":              func([]byte) []byte { return nil },
		"magic":              func(b []byte) []byte { b[imageKeyAt-1] = 9; return b },
		"key":                func(b []byte) []byte { b[imageKeyAt] ^= 1; return b },
		"global count":       func(b []byte) []byte { le.PutUint32(b[imageGlobalsAt:], 3); return b },
		"memory over size":   func(b []byte) []byte { le.PutUint64(b[imageMemLenAt:], 1<<40); return b },
		"memory not pages":   func(b []byte) []byte { le.PutUint64(b[imageMemLenAt:], le.Uint64(b[imageMemLenAt:])-1); return b },
		"memory under min":   func(b []byte) []byte { le.PutUint64(b[imageMemLenAt:], 0); return b[:imageHeader+8] },
		"negative clock":     func(b []byte) []byte { le.PutUint64(b[imageClockAt:], 1<<63); return b },
		"memory past header": func(b []byte) []byte { le.PutUint64(b[imageMemLenAt:], 2*pageSize+pageSize); return b },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin := guest(t, "imaged")
			first := imagedRun(t, dir, bin, RunnerOptions{}, 1)[0]
			p, b := keptImage(t, dir)
			require.NoError(t, os.WriteFile(p, damage(b), 0o600))

			second := imagedRun(t, dir, bin, RunnerOptions{}, 1)[0]
			assert.NotEqual(t, first["rand"], second["rand"], "the damaged image is not used: _initialize runs")
			assert.Equal(t, second["rand"], second["global"])
			assert.Equal(t, int32(2), second["pages"])
			require.Len(t, images(t, dir), 1, "the run keeps a good image in its place")
			assert.Equal(t, second, imagedRun(t, dir, bin, RunnerOptions{}, 1)[0], "and the next run starts from it")
		})
	}
}

// TestImage_overCap: a good image whose memory is over a step's cap is not
// used by that step, and stays for the others.
func TestImage_overCap(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := guest(t, "imaged")
	first := imagedRun(t, dir, bin, RunnerOptions{}, 1)[0]
	p, before := keptImage(t, dir)
	small := RunnerOptions{Policy: policy.Mixin{Limits: policy.Limits{Memory: pageSize}}}
	e := newEngine(t, EngineOptions{CacheDir: dir})
	m, err := e.Load(testCtx, "probe", bin)
	require.NoError(t, err)
	r := NewRunner(e, m, small)
	res, err := r.Run(testCtx, stepInput("install"), (&stdio{}).io(false))
	require.NoError(t, err)
	require.NoError(t, r.Close(testCtx))
	assert.Equal(t, int32(1), i32Outputs(t, res, "pages")["pages"],
		"a cap of one page: the step initialized itself, and its memory.grow failed")
	after, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the image stays")
	assert.Equal(t, first, imagedRun(t, dir, bin, RunnerOptions{}, 1)[0])
}

// TestImage_execArgvEnv: the built-in exec mixin (the SDK) reads argv and
// env at every step, so a run started from an image made in another run,
// for another action and without PORTER_DEBUG, sees its own.
func TestImage_execArgvEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := func(action string, env map[string]string) (string, string) {
		t.Helper()
		e := newEngine(t, EngineOptions{CacheDir: dir})
		m, err := e.Load(testCtx, "exec", builtin.Wasm())
		require.NoError(t, err)
		r := NewRunner(e, m, RunnerOptions{Executor: &fakeExecutor{}, Env: env})
		defer func() { require.NoError(t, r.Close(testCtx)) }()
		in := execStepInput()
		in.Action, in.Args = action, []string{action}
		in.Stdin = []byte(strings.Replace(string(in.Stdin), "install:", action+":", 1))
		s := &stdio{}
		_, err = r.Run(testCtx, in, s.io(false))
		require.NoError(t, err)
		return s.out(), s.err()
	}
	out, errOut := run("install", nil)
	assert.Equal(t, "ran true a b\n", out)
	assert.NotContains(t, errOut, "true a b")
	require.Len(t, images(t, dir), 1)

	out, errOut = run("upgrade", map[string]string{"PORTER_DEBUG": "true"})
	assert.Equal(t, "ran true a b\n", out, "the step is read as an upgrade step")
	assert.Contains(t, errOut, "true a b", "PORTER_DEBUG=true reaches the guest: it prints the command")
	require.Len(t, images(t, dir), 1, "the image served the second run")

	_, errOut = run("install", nil)
	assert.NotContains(t, errOut, "true a b", "and the next run without it does not")
}

func FuzzImageHeader(f *testing.F) {
	var key [32]byte
	key[0] = 7
	good := make([]byte, imageHeader+8+pageSize)
	copy(good, imageMagic)
	copy(good[imageKeyAt:], key[:])
	binary.LittleEndian.PutUint64(good[imageMemLenAt:], pageSize)
	binary.LittleEndian.PutUint32(good[imageGlobalsAt:], 1)
	f.Add(good[:imageHeader+8])
	f.Add([]byte(imageMagic))
	f.Fuzz(func(t *testing.T, hdr []byte) {
		file := filepath.Join(t.TempDir(), "x.init")
		require.NoError(t, os.WriteFile(file, append(hdr, make([]byte, pageSize)...), 0o600))
		img, err := openImage(file, key, 1, 4*pageSize)
		if err != nil {
			return
		}
		defer func() { _ = img.f.Close() }()
		assert.Zero(t, img.memLen%pageSize)
		assert.LessOrEqual(t, img.memLen, uint64(4*pageSize))
		assert.Len(t, img.globals, 1)
	})
}
