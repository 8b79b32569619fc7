package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRun_commandLookup: the wasm exec mixin (its bare names looked up by
// the host) and the native exec-runtime (looked up by the guest SDK) run the
// same program for the same step and PATH, with the one rule of RATIONALE.md
// ("Why does a PATH look-up refuse relative entries?"): the PATH's entries in
// order; a name found first through a relative entry does not run; a name
// not on the PATH that is a file of the working directory runs as ./name
// (Porter's `command: helper.sh`). Programs of the same name sit in the
// bundle, in a relative PATH directory and on an absolute one, so a form that
// resolves differently prints another line or fails differently.
func TestRun_commandLookup(t *testing.T) {
	t.Parallel()
	bin := t.TempDir() // an absolute PATH directory outside the bundle
	script := func(says string) string { return "#!/bin/sh\necho " + says + "\n" }
	for name, body := range map[string]string{
		"mbx-both":     script("mbx-both from the PATH"),
		"mbx-deep":     script("mbx-deep from the PATH"),
		"mbx-pathonly": script("mbx-pathonly from the PATH"),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755))
	}
	files := map[string]string{
		"cnab/app/mbx-both":       script("mbx-both from the bundle"),
		"cnab/app/mbx-local":      script("mbx-local from the bundle"),
		"cnab/app/helper.sh":      script("helper.sh from the bundle"),
		"cnab/app/tools/mbx-deep": script("mbx-deep from tools"),
		"cnab/app/tools/mbx-tool": script("mbx-tool from tools"),
	}
	refused := func(name string) string {
		return "couldn't run command /cnab/app " + name + ": exec: \"" + name + "\": cannot run executable found relative to current directory"
	}
	const sys = ":/usr/bin:/bin"
	tests := []struct {
		name, path, command string
		want                string // the step's output line; "" = the step fails
		wantErr             string // for a failing step: its error, after "Error: "
	}{
		// Porter's exec-runtime fails these four the same way.
		{"dot first, the name in the bundle and on the PATH", ".:" + bin + sys, "mbx-both", "", refused("mbx-both")},
		{"dot first, the name only in the bundle", ".:/usr/bin:/bin", "mbx-local", "", refused("mbx-local")},
		{"an empty entry first, the name in the bundle and on the PATH", ":" + bin + sys, "mbx-both", "", refused("mbx-both")},
		{"dot last, the name only in the bundle", bin + ":." + sys, "mbx-local", "", refused("mbx-local")},
		// Porter runs tools/NAME for these two (RATIONALE.md says why mixbox does not).
		{"a relative directory first, the name in it and on the PATH", "tools:" + bin + sys, "mbx-deep", "", refused("mbx-deep")},
		{"a relative directory, the name only in it", "tools" + sys, "mbx-tool", "", refused("mbx-tool")},
		{"dot last, the name in the bundle and on the PATH", bin + ":." + sys, "mbx-both", "mbx-both from the PATH", ""},
		{"a missing directory first", filepath.Join(bin, "missing") + ":" + bin + sys, "mbx-pathonly", "mbx-pathonly from the PATH", ""},
		{"a missing relative directory first", "missing:" + bin + sys, "mbx-pathonly", "mbx-pathonly from the PATH", ""},
		{"a bundle-local name not on the PATH", bin + sys, "helper.sh", "helper.sh from the bundle", ""},
		{"a bundle-local name on the PATH too", bin + sys, "mbx-both", "mbx-both from the PATH", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			manifest := "schemaVersion: 1.0.1\nname: b\nversion: 0.1.0\nregistry: x\nmixins: [exec]\n" +
				"install:\n  - exec:\n      command: " + tc.command + "\n" +
				"uninstall:\n  - exec: {command: \"true\"}\n"
			got := map[string]string{}
			for _, form := range []string{"wasm", "native"} {
				root := newRoot(t, manifest, files)
				for name := range files {
					require.NoError(t, os.Chmod(filepath.Join(root, name), 0o755))
				}
				args := []string{"run", "--cnab-root", root, "--action", "install"}
				if form == "native" {
					installNativeExec(t, root)
					args = append(args, "--prefer", "native")
				}
				env := []string{"PATH=" + tc.path, "HOME=" + t.TempDir(), "MIXBOX_CACHE_DIR=" + cacheDir}
				code, stdout, stderr := runCLI(t, env, args...)
				if tc.want == "" {
					require.Equal(t, 1, code, "%s form: %s%s", form, stdout, stderr)
					got[form] = errorLine(stderr)
					require.Equal(t, "Error: "+tc.wantErr, got[form], "%s form: %s", form, stderr)
					continue
				}
				require.Equal(t, 0, code, "%s form: %s%s", form, stdout, stderr)
				got[form] = programLines(stdout, tc.command)
				require.Equal(t, tc.want, got[form], "%s form ran another program: %s", form, stdout)
			}
			require.Equal(t, got["wasm"], got["native"], "the two forms resolved %q differently", tc.command)
		})
	}
}

// installNativeExec puts the native exec-runtime, built from this checkout,
// where --prefer native finds it.
func installNativeExec(t *testing.T, root string) {
	t.Helper()
	rt := filepath.Join(root, "cnab", "app", "mixins", "exec", "runtimes", "exec-runtime")
	require.NoError(t, os.MkdirAll(filepath.Dir(rt), 0o755))
	data, err := os.ReadFile(builds.Binary(t, "./mixins/exec/cmd/exec-runtime", "exec-runtime"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(rt, data, 0o755))
}

// errorLine is the first "Error: " line of a run's stderr.
func errorLine(stderr string) string {
	for line := range strings.SplitSeq(stderr, "\n") {
		if strings.HasPrefix(line, "Error: ") {
			return line
		}
	}
	return ""
}

// programLines are the lines of stdout a test program printed: those that
// start with its name.
func programLines(stdout, name string) string {
	var lines []string
	for line := range strings.SplitSeq(stdout, "\n") {
		if strings.HasPrefix(line, name+" ") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
