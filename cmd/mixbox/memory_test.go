package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// maxRSS is the bound on mixbox's peak resident memory with the default
// limits, whatever a command prints (docs/spec/policy.md's caps).
const maxRSS = 256 << 20

// flood is a step whose command prints n bytes of "y\n" on stdout (and on
// stderr with both), with more step YAML after it.
func flood(desc string, n int64, both bool, more string) string {
	script := "yes | head -c " + strconv.FormatInt(n, 10)
	if both {
		script += "; yes | head -c " + strconv.FormatInt(n, 10) + " >&2"
	}
	return "  - exec:\n      description: " + desc + "\n      command: bash\n      flags:\n        c: '\"" + script + "\"'\n" + more
}

const memHeader = "schemaVersion: 1.0.1\nname: mem\nversion: 0.1.0\nregistry: x\nmixins: [exec]\n"

// TestRun_memoryBounded: the real binary's peak RSS (VmHWM, the most
// resident memory mixbox had) stays under 256 MiB with the default limits, however much a command
// prints or a state bag unpacks to, and a limit that is reached fails
// loudly instead of cutting something short. Each case is one run.
func TestRun_memoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real processes: make test runs it")
	}
	t.Parallel()
	const gib = 1 << 30
	bin := builds.Binary(t, "./cmd/mixbox", "mixbox")
	tests := []struct {
		name     string
		manifest string
		setup    func(t *testing.T, root string)
		args     []string
		wantCode int
		want     []string // in stdout+stderr
		check    func(t *testing.T, root string)
	}{
		{
			name:     "1 GiB on stdout and on stderr",
			manifest: memHeader + "install:\n" + flood("flood", gib, true, ""),
			want:     []string{"the step's log reached its cap (64 MiB, policy logBytes)"},
		},
		{
			name:     "1 GiB on both streams, suppressed",
			manifest: memHeader + "install:\n" + flood("flood", gib, true, "      suppress-output: true\n"),
		},
		{
			name: "1 GiB with an output that reads stdout",
			manifest: memHeader + "outputs:\n  - name: first\n    type: string\ninstall:\n" +
				"  - exec:\n      description: flood\n      command: bash\n      flags:\n        c: '\"echo first=yes; yes | head -c 1073741824\"'\n" +
				"      outputs:\n        - name: first\n          regex: \"first=(.*)\"\n",
			check: func(t *testing.T, root string) {
				got, err := os.ReadFile(filepath.Join(root, "cnab", "app", "outputs", "first"))
				require.NoError(t, err)
				require.Equal(t, "yes", string(got))
			},
		},
		{
			name: "--record-exec of four 70 MiB calls that outputs read",
			manifest: memHeader + "install:\n" + strings.Repeat(flood("call", 70<<20, false,
				"      outputs:\n        - name: o\n          regex: \"(yy)\"\n"), 4),
			args: []string{"--record-exec", "RECORD"},
			check: func(t *testing.T, root string) {
				fi, err := os.Stat(filepath.Join(root, "record.yaml"))
				require.NoError(t, err)
				require.Greater(t, fi.Size(), int64(4*64<<20), "each call's 64 MiB capture is recorded whole")
			},
		},
		{
			name:     "--log-format json under a flood with no newline",
			manifest: memHeader + "install:\n  - exec:\n      description: flood\n      command: bash\n      flags:\n        c: '\"head -c 1073741824 /dev/zero | tr -c x x\"'\n",
			args:     []string{"--log-format", "json"},
			want:     []string{`"partial":true`},
		},
		{
			name:     "a state bag holding a 1.5 GiB entry",
			manifest: memHeader + "state:\n  - name: big\n    path: big.bin\ninstall:\n  - exec:\n      description: noop\n      command: \"true\"\n",
			setup: func(t *testing.T, root string) {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				tw := tar.NewWriter(zw)
				require.NoError(t, tw.WriteHeader(&tar.Header{Name: "porter-state/big", Typeflag: tar.TypeReg, Size: 3 << 29, Mode: 0o644}))
				zeros := make([]byte, 1<<20)
				for range 8 { // the header says 1.5 GiB; the limit is judged on it
					_, err := tw.Write(zeros)
					require.NoError(t, err)
				}
				require.NoError(t, zw.Close())
				require.NoError(t, os.MkdirAll(filepath.Join(root, "porter"), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(root, "porter", "state.tgz"), buf.Bytes(), 0o644))
			},
			wantCode: 1,
			want:     []string{"unpack state big: state over its limit: the entry is 1536.0 MiB, over the 1 GiB limit of one state file"},
		},
		{
			name:     "a 200 MiB porter.yaml",
			manifest: memHeader + "install:\n  - exec:\n      command: \"true\"\n" + strings.Repeat("#"+strings.Repeat("x", 1023)+"\n", 200<<10),
			wantCode: 1,
			want:     []string{"over the 16 MiB limit of a bundle definition file"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: each case makes a command print a GiB; one at a
			// time keeps the machine usable (the bound is not a timing).
			root := newRoot(t, tc.manifest, nil)
			if tc.setup != nil {
				tc.setup(t, root)
			}
			args := []string{"run", "--cnab-root", root, "--action", "install"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "RECORD", filepath.Join(root, "record.yaml")))
			}
			ctx, cancel := context.WithTimeout(testCtx, 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir, "TMPDIR=" + t.TempDir()}
			out := &tailWriter{max: 1 << 20}
			cmd.Stdout, cmd.Stderr = out, out
			require.NoError(t, cmd.Start())
			peak := watchHWM(cmd.Process.Pid, bin)
			err := cmd.Wait()
			rss := peak()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.wantCode, code, "%s", out.String())
			require.Positive(t, rss, "VmHWM was never read")
			t.Logf("peak RSS %d MiB", rss>>20)
			require.Less(t, rss, int64(maxRSS), "peak RSS %d MiB", rss>>20)
			for _, w := range tc.want {
				require.Contains(t, out.String(), w)
			}
			if tc.check != nil {
				tc.check(t, root)
			}
		})
	}
}

// tailWriter keeps the first and the last max bytes written, so a GiB of
// log does not end up in the test's memory.
type tailWriter struct {
	mu         sync.Mutex
	max        int
	head, tail bytes.Buffer
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.head.Len(); room > 0 {
		w.head.Write(p[:min(room, len(p))])
	}
	w.tail.Write(p)
	if w.tail.Len() > 2*w.max {
		b := append([]byte(nil), w.tail.Bytes()[w.tail.Len()-w.max:]...)
		w.tail.Reset()
		w.tail.Write(b)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.head.String() + "\n...\n" + w.tail.String()
}

// watchHWM reads the VmHWM of process pid (once it runs bin) every few
// milliseconds; the returned func stops and gives the last value read, in
// bytes. VmHWM only grows, so the last read is the peak but for what the
// last milliseconds added. (ru_maxrss would count the test process too:
// os/exec's child shares its memory until exec, and Linux folds that into
// the child's maximum.)
func watchHWM(pid int, bin string) func() int64 {
	var mu sync.Mutex
	var hwm int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		dir := "/proc/" + strconv.Itoa(pid)
		for {
			if exe, err := os.Readlink(dir + "/exe"); err == nil && exe == bin {
				if data, err := os.ReadFile(dir + "/status"); err == nil {
					for line := range strings.SplitSeq(string(data), "\n") {
						if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
							kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
							mu.Lock()
							hwm = max(hwm, kb<<10)
							mu.Unlock()
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return hwm
	}
}

// TestRun_floodPastStepTimeout: a command that floods its output forever
// is stopped at the step timeout, not seconds later.
func TestRun_floodPastStepTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of real processes: make test runs it")
	}
	t.Parallel()
	manifest := memHeader + "install:\n  - exec:\n      description: forever\n      command: bash\n      flags:\n        c: '\"yes\"'\n"
	policy := "apiVersion: mixbox/v1\ndefaults:\n  stepTimeout: 2s\nmixins:\n  exec:\n    exec: [{command: bash}]\n"
	root := newRoot(t, manifest, map[string]string{"policy.yaml": policy})
	start := time.Now()
	code, _, stderr := runCLIQuiet(t, "run", "--cnab-root", root, "--action", "install", "--policy", filepath.Join(root, "policy.yaml"))
	took := time.Since(start)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "ran past the step timeout of 2s (policy stepTimeout)")
	require.Less(t, took, 2*time.Second+15*time.Second, "the step ran %s past its timeout", took-2*time.Second)
}

// runCLIQuiet is runCLI keeping only the end of stdout.
func runCLIQuiet(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	out := &tailWriter{max: 64 << 10}
	var stderr bytes.Buffer
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}
	code := run(testCtx, append([]string{"mixbox"}, args...), env, out, &stderr)
	return code, out.String(), stderr.String()
}
