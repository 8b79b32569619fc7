package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// newRoot lays out a bundle at ROOT/cnab/app with porter.yaml and files.
func newRoot(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	app := filepath.Join(root, "cnab", "app")
	require.NoError(t, os.MkdirAll(app, 0o755))
	if manifest != "" {
		require.NoError(t, os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(manifest), 0o644))
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, "-runtime") {
			mode = 0o755
		}
		require.NoError(t, os.WriteFile(p, []byte(body), mode))
	}
	return root
}

// runCLI runs mixbox in process and returns its exit code and output.
func runCLI(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if env == nil {
		env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}
	}
	code := run(testCtx, append([]string{"mixbox"}, args...), env, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const helloManifest = `schemaVersion: 1.0.1
name: hello
version: 0.1.0
registry: localhost:5000
mixins:
  - exec
parameters:
  - name: name
    type: string
    default: world
  - name: cfg
    type: file
    path: /cnab/app/cfg.txt
credentials:
  - name: token
    env: TOKEN
install:
  - exec:
      description: "Say hello"
      command: echo
      arguments:
        - "Hello ${ bundle.parameters.name }"
uninstall:
  - exec:
      command: echo
      arguments: [bye]
`

// helloInputs are the values helloManifest's install needs in a local run
// (a driver would refuse it without them).
func helloInputs() []string {
	return []string{"--cred", "token=tok3n-value", "--param", "cfg=some config"}
}

// TestRun_badInput: every kind of bad input gives one clear error on stderr
// that names the culprit, the exit code of cli.md, and never a panic.
func TestRun_badInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		manifest string
		files    map[string]string
		args     []string
		wantCode int
		wantErr  []string // substrings of stderr
	}{
		{"missing porter.yaml", "", nil, []string{"--action", "install"}, 1, []string{"porter.yaml", "hint:"}},
		{"invalid yaml", "name: [unclosed\n", nil, []string{"--action", "install"}, 1, []string{"porter.yaml", "line"}},
		{"unknown action", helloManifest, nil, []string{"--action", "deploy"}, 1, []string{`"deploy"`, "install, uninstall"}},
		{"missing and bad values", helloManifest, nil, []string{"--action", "install", "--param", "name=", "--cred", "nope=x"}, 2, []string{
			"error: the install action cannot start: 3 problems with its parameters and credentials, nothing was run:\n" +
				"  credential nope: the manifest has no such credential (credentials: token)\n" +
				"  parameter cfg (file) has no default and was given no value\n" +
				"  credential token is required and was given no value\n",
			"hint: give each value with --param NAME=VALUE or --cred NAME=VALUE (NAME=@FILE reads FILE), or set its env destination\n"}},
		{"no action", helloManifest, nil, nil, 2, []string{"CNAB_ACTION"}},
		{"missing template variable", strings.Replace(helloManifest, "parameters.name", "parameters.nope", 1), nil,
			append([]string{"--action", "install"}, helloInputs()...), 1, []string{"bundle.parameters.nope", "install step 1"}},
		{"undeclared mixin", strings.Replace(helloManifest, "  - exec:\n      description", "  - helm3:\n      description", 1), nil,
			[]string{"--action", "install"}, 1, []string{"helm3"}},
		{"mixin not installed", strings.Replace(strings.Replace(helloManifest, "  - exec\n", "  - exec\n  - ghost\n", 1), "  - exec:\n      description", "  - ghost:\n      description", 1), nil,
			append([]string{"--action", "install"}, helloInputs()...), 1, []string{"mixin ghost is not installed: looked in", "ghost-runtime.wasm", "ghost-runtime (native)"}},
		{"bad base64 in a file parameter", helloManifest, map[string]string{"cnab/app/cfg.txt": "!!!not base64"},
			[]string{"--action", "install", "--cred", "token=tok3n-value"}, 1, []string{"cfg", "base64"}},
		{"malformed --param", helloManifest, nil, []string{"--action", "install", "--param", "novalue"}, 2, []string{"--param", "NAME=VALUE"}},
		{"unknown --param", helloManifest, nil, []string{"--action", "install", "--param", "nope=1"}, 2, []string{"nope", "name, cfg"}},
		{"unknown flag", helloManifest, nil, []string{"--action", "install", "--bogus"}, 2, []string{"bogus"}},
		{"bad --prefer", helloManifest, nil, []string{"--action", "install", "--prefer", "rust"}, 2, []string{"--prefer"}},
		{"bad PORTER_DEBUG", helloManifest, nil, []string{"--action", "install", "--debug=maybe"}, 2, []string{"debug"}},
		{"cnab-root missing", helloManifest, nil, []string{"--action", "install", "--cnab-root", "/nonexistent/root"}, 2, []string{"/nonexistent/root"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, tc.manifest, tc.files)
			args := append([]string{"run"}, tc.args...)
			if !contains(args, "--cnab-root") {
				args = append(args, "--cnab-root", root)
			}
			code, stdout, stderr := runCLI(t, nil, args...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, w := range tc.wantErr {
				require.Contains(t, stderr, w)
			}
			require.NotContains(t, stderr, "panic")
			require.NotContains(t, stderr, "goroutine ")
			require.Equal(t, 1, strings.Count(stderr, "error: "), "one error line:\n%s", stderr)
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestInterspersed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in, want []string
	}{
		{"pack", []string{"mixbox", "mixin", "pack", "m.wasm", "--meta", "x.yaml", "-o", "out.wasm"},
			[]string{"mixbox", "mixin", "pack", "--meta", "x.yaml", "-o", "out.wasm", "--", "m.wasm"}},
		{"inspect", []string{"mixbox", "mixin", "inspect", "m.wasm", "-o", "json"}, []string{"mixbox", "mixin", "inspect", "-o", "json", "--", "m.wasm"}},
		{"precompile", []string{"mixbox", "precompile", "a.wasm", "--cache-dir=/c", "b.wasm"}, []string{"mixbox", "precompile", "--cache-dir=/c", "--", "a.wasm", "b.wasm"}},
		{"flags only", []string{"mixbox", "run", "--action", "install"}, []string{"mixbox", "run", "--action", "install"}},
		{"a bool flag takes no value", []string{"mixbox", "mixin", "test", "m.wasm", "--update", "--cases", "c.yaml"},
			[]string{"mixbox", "mixin", "test", "--update", "--cases", "c.yaml", "--", "m.wasm"}},
		{"new NAME --dir", []string{"mixbox", "mixin", "new", "x", "--dir", "d"}, []string{"mixbox", "mixin", "new", "--dir", "d", "--", "x"}},
		{"-- ends the flags", []string{"mixbox", "mixin", "inspect", "--", "-odd.wasm"}, []string{"mixbox", "mixin", "inspect", "--", "-odd.wasm"}},
		{"a command with subcommands is left alone", []string{"mixbox", "mixin", "x"}, []string{"mixbox", "mixin", "x"}},
		{"an unknown command is left alone", []string{"mixbox", "nope", "a", "-b"}, []string{"mixbox", "nope", "a", "-b"}},
	}
	app := newApp(nil, io.Discard, io.Discard)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, interspersed(app, tc.in))
		})
	}
}

func TestMixinInspectAndPack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mod := filepath.Join(dir, "exec.wasm")
	require.NoError(t, os.WriteFile(mod, builtin.Wasm(), 0o644))
	meta := filepath.Join(dir, "mixin.yaml")
	require.NoError(t, os.WriteFile(meta, []byte("name: exec\nversion: v1.0.0\nabi: mixbox_v1\ncapabilities:\n  exec: [\"*\"]\n"), 0o644))
	out := filepath.Join(dir, "packed.wasm")

	code, stdout, stderr := runCLI(t, nil, "mixin", "pack", mod, "--meta", meta, "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "packed "+out)

	code, stdout, stderr = runCLI(t, nil, "mixin", "inspect", out, "-o", "json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `"abi": "mixbox_v1"`)
	require.Contains(t, stdout, `"accepted": true`)
	require.Contains(t, stdout, `"name": "exec"`)

	code, stdout, _ = runCLI(t, nil, "mixin", "inspect", out)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "capabilities: exec [*]")
	require.Contains(t, stdout, "mixbox_v1.exec")

	abiDir := filepath.Join(testutil.ModuleRoot(t), "testdata", "abi")
	for guest, kind := range map[string]string{"exit0.wasm": "command", "reactor.wasm": "reactor"} {
		p := filepath.Join(abiDir, guest)
		code, stdout, stderr = runCLI(t, nil, "mixin", "inspect", p)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "\nkind:     "+kind+"\n", guest)
		code, stdout, stderr = runCLI(t, nil, "mixin", "inspect", p, "-o", "json")
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, `"kind": "`+kind+`"`, guest)
	}

	bad := filepath.Join(dir, "bad.wasm")
	require.NoError(t, os.WriteFile(bad, []byte("\x00asm\x0d\x00\x01\x00"), 0o644))
	code, stdout, stderr = runCLI(t, nil, "mixin", "inspect", bad)
	require.Equal(t, 3, code, stdout+stderr)
	require.Contains(t, stdout+stderr, "component")
}

// TestRun_coldCache_compiler: with nothing compiled in the cache, the mixbox
// binary runs at once on the interpreter, compiles nothing itself, and
// leaves a detached `mixbox precompile --background` that fills the cache;
// the next run, and a run after `mixbox precompile`, run compiled code.
func TestRun_coldCache_compiler(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real processes: make test runs it")
	}
	t.Parallel()
	engines := func(stdout string) []string {
		t.Helper()
		var got []string
		for _, e := range jsonEvents(t, stdout) {
			if e["event"] == "step_end" {
				got = append(got, e["engine"].(string))
			}
		}
		return got
	}
	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	cache := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cache}
	root := newRoot(t, helloManifest, nil)
	runBin := func(env []string, args ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(mixbox, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &stdout, &stderr
		require.NoError(t, cmd.Run(), stdout.String()+stderr.String())
		return stdout.String(), stderr.String()
	}
	runArgs := append([]string{"run", "--cnab-root", root, "--action", "install", "--log-format", "json"}, helloInputs()...)
	stdout, _ := runBin(env, runArgs...)
	require.Equal(t, []string{"interpreter"}, engines(stdout), "a cold module runs on the interpreter")
	waitFilled(t, cache)

	stdout, _ = runBin(env, runArgs...)
	require.Equal(t, []string{"compiler"}, engines(stdout), "the next run is warm")

	precompiled := t.TempDir()
	env2 := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + precompiled}
	stdout, _ = runBin(env2, "precompile")
	require.Contains(t, stdout, "compiled exec (built-in)")
	stdout, _ = runBin(env2, runArgs...)
	require.Equal(t, []string{"compiler"}, engines(stdout), "a precompiled cache is warm")
}

// TestRun_coldSmallModule_compiler: a run compiles a small cold module (a
// WAT guest) itself as it ends, so the cache holds it when the run returns,
// and leaves nothing running behind it.
func TestRun_coldSmallModule_compiler(t *testing.T) {
	t.Parallel()
	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	module := readGuest(t, filepath.Join(testutil.ModuleRoot(t), "testdata", "abi"), "log.wasm")
	app := layoutABIBundle(t, module, nil, nil)
	cache := t.TempDir()
	cmd := exec.Command(mixbox, "run", "--action", "install", "--cnab-root", filepath.Dir(filepath.Dir(app)))
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cache}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	sum := sha256.Sum256(module)
	require.FileExists(t, filepath.Join(cache, "mixbox-"+hex.EncodeToString(sum[:])+".compiled"),
		"the run compiled the small module before it exited")
	claims, err := filepath.Glob(filepath.Join(cache, "mixbox-*.filling"))
	require.NoError(t, err)
	require.Empty(t, claims, "no background fill for a small module")
}

// waitFilled waits for the detached fill a cold run started to mark the
// exec module compiled in cache and to drop its claim.
func waitFilled(t *testing.T, cache string) {
	t.Helper()
	require.Eventually(t, func() bool {
		marks, _ := filepath.Glob(filepath.Join(cache, "mixbox-*.compiled")) // a bad pattern is a test bug: none match
		claims, _ := filepath.Glob(filepath.Join(cache, "mixbox-*.filling")) // as above
		return len(marks) == 1 && len(claims) == 0
	}, 5*time.Minute, 50*time.Millisecond, "the run's detached precompile fills the cache in %s", cache)
}

// TestRun_helloScriptTwice_compiler: examples/hello/run.sh, run as a
// newcomer runs it (no cache anywhere, HOME new), fills the user cache
// behind the first run, so that the second one loads compiled code (a
// marked module loads compiled: TestRun_coldCache_compiler); and
// `mixbox precompile` with no flags on a laptop fills the user cache, not
// /cnab.
func TestRun_helloScriptTwice_compiler(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real processes: make test runs it")
	}
	t.Parallel()
	if _, err := os.Stat("/cnab/app"); err == nil {
		t.Skip("this machine has /cnab/app: it is an invocation image")
	}
	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	script := filepath.Join(testutil.ModuleRoot(t), "examples", "hello", "run.sh")
	home := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "MIXBOX=" + mixbox, "TMPDIR=" + t.TempDir()}
	userCache := filepath.Join(home, ".cache", "mixbox")
	sh := func() string {
		t.Helper()
		cmd := exec.Command("/bin/sh", script)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Contains(t, string(out), "greeting: Hello, newcomer")
		return string(out)
	}
	sh()
	waitFilled(t, userCache) // so the second run loads compiled code (TestRun_coldCache_compiler)
	sh()

	fresh := t.TempDir()
	cmd := exec.Command(mixbox, "precompile")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + fresh}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "into "+filepath.Join(fresh, ".cache", "mixbox"))
	marks, err := filepath.Glob(filepath.Join(fresh, ".cache", "mixbox", "mixbox-*.compiled"))
	require.NoError(t, err)
	require.Len(t, marks, 1, "precompile with no flags fills the user cache")
}

func jsonEvents(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var events []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), "line %d is not a JSON object: %q", i+1, line)
		require.IsType(t, "", e["time"], "line %d has no time", i+1)
		_, err := time.Parse(time.RFC3339Nano, e["time"].(string))
		require.NoError(t, err, "line %d: time", i+1)
		require.IsType(t, "", e["event"], "line %d has no event", i+1)
		events = append(events, e)
	}
	return events
}

// TestRun_execErrorText: both forms of the exec mixin word a failing
// command as Porter's does, with the bare name resolved on the PATH.
func TestRun_execErrorText(t *testing.T) {
	t.Parallel()
	manifest := "schemaVersion: 1.0.1\nname: b\nversion: 0.1.0\nregistry: x\nmixins: [exec]\n" +
		"install:\n  - exec:\n      command: bash\n      flags:\n        c: '\"echo bye; exit 7\"'\n" +
		"uninstall:\n  - exec: {command: \"true\"}\n"
	bash, err := exec.LookPath("bash")
	require.NoError(t, err)
	want := "Error: error running command /cnab/app " + bash + " -c echo bye; exit 7: exit status 7\n" +
		"error running command /cnab/app " + bash + " -c echo bye; exit 7: exit status 7\n"
	for _, native := range []bool{false, true} {
		root := newRoot(t, manifest, nil)
		args := []string{"run", "--cnab-root", root, "--action", "install"}
		if native {
			installNativeExec(t, root)
			args = append(args, "--prefer", "native")
		}
		code, stdout, stderr := runCLI(t, []string{"PATH=" + filepath.Dir(bash) + ":/usr/bin:/bin", "MIXBOX_CACHE_DIR=" + cacheDir}, args...)
		require.Equal(t, 1, code, stdout+stderr)
		require.Contains(t, stderr, want, "native=%v", native)
	}
}

// TestRun_initImage_compiler: `mixbox precompile` keeps the built-in exec
// mixin's initialization image beside its compiled code, and a run checks
// it before using it: a damaged one is replaced, and the run is unaffected.
func TestRun_initImage_compiler(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real processes: make test runs it")
	}
	t.Parallel()
	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	cache := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cache}
	mixboxCmd := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := exec.Command(mixbox, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
		require.NoError(t, cmd.Run(), out.String())
		return out.String()
	}
	image := func() []byte {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(cache, "*", "*.init"))
		require.NoError(t, err)
		require.Len(t, m, 1, "one initialization image")
		b, err := os.ReadFile(m[0])
		require.NoError(t, err)
		return b
	}
	mixboxCmd("precompile")
	kept := image()

	root := newRoot(t, helloManifest, nil)
	runArgs := append([]string{"run", "--cnab-root", root, "--action", "install"}, helloInputs()...)
	first := mixboxCmd(runArgs...)
	require.Equal(t, kept, image(), "a run starts from the image: it writes none")

	damaged := bytes.Clone(kept)
	damaged[len(damaged)-1] ^= 0xff
	m, err := filepath.Glob(filepath.Join(cache, "*", "*.init"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(m[0], damaged, 0o600))
	root = newRoot(t, helloManifest, nil)
	runArgs = append([]string{"run", "--cnab-root", root, "--action", "install"}, helloInputs()...)
	durations := regexp.MustCompile(` in [0-9.]+[µm]?s\n`)
	require.Equal(t, durations.ReplaceAllString(first, "\n"), durations.ReplaceAllString(mixboxCmd(runArgs...), "\n"),
		"a damaged image changes nothing a user sees")
	again := image()
	require.Len(t, again, len(kept))
	require.NotEqual(t, damaged, again, "the run replaced the damaged image")
}
