package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mixbox/mixbox/internal/procexec"
	"github.com/mixbox/mixbox/internal/testutil"
)

// needsRealRoot lists the porter-compat cases whose step commands read or
// write absolute paths outside /cnab/app (RUNNING.md): with --cnab-root the
// commands would touch the real paths, so they run in a chroot only.
var needsRealRoot = map[string]bool{
	"exec-outputs-add-user":   true,
	"exec-outputs-get-users":  true,
	"exec-outputs-install":    true,
	"exec-outputs-test":       true,
	"state-install":           true,
	"state-upgrade":           true,
	"modifies-false-dry-run":  true,
	"templating-deps-install": true,
	"local-script-install":    true, // its script prints its working directory
}

// compatMode is how a case is laid out and run.
type compatMode struct {
	name   string
	chroot bool // in a private mount namespace, chroot'ed: real /cnab paths
	native bool // --prefer native with the native exec-runtime installed
}

// TestCompat runs every case of testdata/porter-compat the way its
// RUNNING.md says, through the mixbox binary, and compares with what the real
// Porter runtime did.
func TestCompat(t *testing.T) {
	t.Parallel()
	cases := testutil.PorterCompatCases(t)
	modes := []compatMode{
		{name: "rooted native", native: true},
		{name: "rooted wasm"},
		{name: "chroot native", chroot: true, native: true},
		{name: "chroot wasm", chroot: true},
	}
	for _, dir := range cases {
		name := filepath.Base(dir)
		for _, mode := range modes {
			t.Run(name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				if !mode.chroot && needsRealRoot[name] {
					t.Skip("its commands use absolute paths outside the bundle directory: covered by the chroot modes")
				}
				if mode.chroot {
					testutil.RequireChroot(t)
				}
				runCompatCase(t, dir, mode)
			})
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// caseEnv is the environment of RUNNING.md step 3.
func caseEnv(t *testing.T, dir string) []string {
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "PORTER_HOME=/cnab/app"}
	for _, line := range readLines(t, filepath.Join(dir, "env")) {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		env = append(env, line)
	}
	return env
}

// secrets returns the credential and sensitive parameter values of a case:
// they must never be printed.
func secrets(t *testing.T, dir string, env []string) []string {
	t.Helper()
	var m struct {
		Parameters []struct {
			Name, Env string
			Sensitive bool
		}
		Credentials []struct{ Name, Env string }
	}
	data, err := os.ReadFile(filepath.Join(dir, "porter.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(data, &m))
	vals := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vals[k] = v
	}
	var out []string
	add := func(envName string) {
		if v := vals[envName]; strings.TrimSpace(v) != "" && v != "null" {
			out = append(out, v)
		}
	}
	for _, p := range m.Parameters {
		if !p.Sensitive {
			continue
		}
		if p.Env == "" {
			p.Env = strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(p.Name))
		}
		add(p.Env)
	}
	for _, c := range m.Credentials {
		if c.Env != "" {
			add(c.Env)
		}
	}
	return out
}

func runCompatCase(t *testing.T, dir string, mode compatMode) {
	action := strings.TrimSpace(string(must(os.ReadFile(filepath.Join(dir, "action")))))
	env := caseEnv(t, dir)

	root := t.TempDir()
	app := filepath.Join(root, "cnab", "app")
	require.NoError(t, os.MkdirAll(app, 0o755))
	copyFile(t, filepath.Join(dir, "porter.yaml"), filepath.Join(app, "porter.yaml"))
	if _, err := os.Stat(filepath.Join(dir, "bundle.json")); err == nil {
		copyFile(t, filepath.Join(dir, "bundle.json"), filepath.Join(root, "cnab", "bundle.json"))
	}
	if _, err := os.Stat(filepath.Join(dir, "app")); err == nil {
		testutil.CopyTree(t, filepath.Join(dir, "app"), app)
	}
	if _, err := os.Stat(filepath.Join(dir, "files")); err == nil {
		testutil.CopyTree(t, filepath.Join(dir, "files"), root)
	}

	// Paths as the run sees them: real ones in a chroot, under root otherwise.
	inRun := func(p string) string {
		if mode.chroot {
			return p
		}
		return filepath.Join(root, p)
	}
	tools := filepath.Join(root, "cnab", ".mixbox-test")
	capture := filepath.Join(root, "cnab", ".capture")
	require.NoError(t, os.MkdirAll(tools, 0o755))
	require.NoError(t, os.MkdirAll(capture, 0o755))
	mixbox := filepath.Join(tools, "mixbox")
	copyFile(t, builds.Binary(t, "./cmd/mixbox", "mixbox"), mixbox)

	args := []string{"run", "--action", action}
	if mode.native {
		args = append(args, "--prefer", "native")
		real := filepath.Join(tools, "exec-runtime")
		copyFile(t, builds.Binary(t, "./mixins/exec/cmd/exec-runtime", "exec-runtime"), real)
		wrapper := filepath.Join(app, "mixins", "exec", "runtimes", "exec-runtime")
		require.NoError(t, os.MkdirAll(filepath.Dir(wrapper), 0o755))
		capIn := inRun("/cnab/.capture")
		script := fmt.Sprintf(`#!/bin/sh
n=$(ls %[1]s | grep -c '^argv-')
n=$((n+1))
printf '%%s\n' "$0" "$@" > %[1]s/argv-$n.txt
cat > %[1]s/stdin-$n.yaml
exec %[2]s "$@" < %[1]s/stdin-$n.yaml
`, capIn, inRun("/cnab/.mixbox-test/exec-runtime"))
		require.NoError(t, os.WriteFile(wrapper, []byte(script), 0o755))
	}

	var stdout, stderr bytes.Buffer
	// The binaries were just copied in: start through procexec.Start, which
	// waits out a file still busy in a fork of another test's goroutine.
	cmd, err := procexec.Start(func() *exec.Cmd {
		var cmd *exec.Cmd
		if mode.chroot {
			cmd = chrootCommand(t, root, append([]string{"/cnab/.mixbox-test/mixbox"}, append(args, "-f", "/cnab/app/porter.yaml")...))
			cmd.Env = append(env, "MIXBOX_CACHE_DIR=/.mixbox-cache")
		} else {
			cmd = exec.Command(mixbox, append(args, "--cnab-root", root)...)
			cmd.Dir = app
			cmd.Env = append(env, "MIXBOX_CACHE_DIR="+cacheDir)
		}
		stdout.Reset()
		stderr.Reset()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return cmd
	})
	if err == nil {
		err = cmd.Wait()
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())

	// Exit status: Porter only uses 0 and 1.
	want := strings.TrimSpace(string(must(os.ReadFile(filepath.Join(dir, "expected", "exit_code")))))
	require.Equal(t, want == "0", code == 0, "exit code %d, Porter's %s", code, want)

	// No secret is ever printed, not even in the final error.
	for _, s := range secrets(t, dir, env) {
		require.NotContains(t, stdout.String(), s, "a sensitive value was printed on stdout")
		require.NotContains(t, stderr.String(), s, "a sensitive value was printed on stderr")
	}

	// stdout: Porter's lines exactly, once mixbox's own step lines are removed.
	require.Equal(t, string(must(os.ReadFile(filepath.Join(dir, "expected", "stdout")))), porterLines(stdout.String()),
		"stdout differs from Porter's (mixbox's own step lines removed)")

	// stderr: the lines Porter streamed live (before its final error) come in order.
	var live []string
	for _, l := range readLines(t, filepath.Join(dir, "expected", "stderr")) {
		if l == "1 error occurred:" {
			break
		}
		live = append(live, l)
	}
	requireSubsequence(t, live, strings.Split(stderr.String(), "\n"))

	// Outputs: the same files, byte for byte, and no others.
	gotOut := readTree(t, filepath.Join(app, "outputs"))
	statePacked, hasState := gotOut["porter-state"]
	delete(gotOut, "porter-state")
	wantOut := readTree(t, filepath.Join(dir, "expected", "outputs"))
	require.Equal(t, stringMap(wantOut), stringMap(gotOut), "files in /cnab/app/outputs differ")

	// porter-state, by its entries.
	wantState := readLines(t, filepath.Join(dir, "expected", "porter-state.list"))
	if wantState == nil {
		require.False(t, hasState, "porter-state was written where Porter wrote none")
	} else {
		require.True(t, hasState, "porter-state was not written")
		entries, err := tarEntries(statePacked)
		require.NoError(t, err)
		var got []string
		for name, data := range entries {
			sum := sha256.Sum256(data)
			got = append(got, name+" "+hex.EncodeToString(sum[:]))
		}
		sort.Strings(got)
		if len(wantState) == 1 && wantState[0] == "" {
			wantState = nil
		}
		require.Equal(t, wantState, got, "porter-state entries differ")
	}

	if !mode.native {
		return
	}
	// What the exec mixin received: argv after the binary, and stdin as YAML.
	for n := 1; ; n++ {
		wantArgv := readLines(t, filepath.Join(dir, "expected", "mixin-argv", fmt.Sprintf("step-%d.txt", n)))
		gotArgv := readLines(t, filepath.Join(capture, fmt.Sprintf("argv-%d.txt", n)))
		if wantArgv == nil {
			require.Nil(t, gotArgv, "the mixin was called more often than under Porter")
			break
		}
		require.NotNil(t, gotArgv, "mixin call %d did not happen", n)
		require.Equal(t, wantArgv[1:], gotArgv[1:], "argv of mixin call %d", n)
		var wantIn, gotIn any
		require.NoError(t, yaml.Unmarshal(must(os.ReadFile(filepath.Join(dir, "expected", "mixin-stdin", fmt.Sprintf("step-%d.yaml", n)))), &wantIn))
		require.NoError(t, yaml.Unmarshal(must(os.ReadFile(filepath.Join(capture, fmt.Sprintf("stdin-%d.yaml", n)))), &gotIn))
		require.Equal(t, wantIn, gotIn, "stdin of mixin call %d", n)
	}
}

// chrootCommand returns a command that runs argv chroot'ed into root, in a
// private mount namespace where the host's /usr, /etc, /dev and friends are
// bind-mounted into root.
func chrootCommand(t *testing.T, root string, argv []string) *exec.Cmd {
	t.Helper()
	unshare, _ := testutil.LookTool("unshare")
	chroot, _ := testutil.LookTool("chroot")
	mount, _ := testutil.LookTool("mount")
	script := `set -e
R="$1"; shift
for d in usr etc dev; do mkdir -p "$R/$d"; ` + mount + ` --bind "/$d" "$R/$d"; done
for d in bin lib lib64 sbin; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"
  elif [ -d "/$d" ]; then mkdir -p "$R/$d"; ` + mount + ` --bind "/$d" "$R/$d"; fi
done
mkdir -p "$R/tmp" "$R/proc" "$R/root" "$R/.mixbox-cache" "$CACHE"
` + mount + ` --bind "$CACHE" "$R/.mixbox-cache"
` + mount + ` -t proc proc "$R/proc" 2>/dev/null || true
exec ` + chroot + ` "$R" "$@"
`
	script = "CACHE=" + cacheDir + "\n" + script
	return exec.Command(unshare, append([]string{"-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", root}, argv...)...)
}

// mixboxLine matches the lines mixbox adds to Porter's run log.
var mixboxLine = regexp.MustCompile(`^(step \d+/\d+ (done|failed): .*|ran \d+ of \d+ steps in .*|failed at step \d+ of \d+ in .*|warning: .*)$`)

func porterLines(stdout string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if mixboxLine.MatchString(sc.Text()) {
			continue
		}
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

func requireSubsequence(t *testing.T, want, got []string) {
	t.Helper()
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	require.Equal(t, len(want), i, "stderr is missing Porter's line %q (lines must come in Porter's order)", want[min(i, len(want)-1)])
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = must(os.ReadFile(p))
		return nil
	})
	return out
}

func stringMap(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func copyFile(t *testing.T, src, dst string) { testutil.CopyFile(t, src, dst) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// tarEntries returns the regular files of a tar.gz.
func tarEntries(data []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[hdr.Name] = b
	}
}
