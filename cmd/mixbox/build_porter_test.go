package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// fencedBlock returns the first ```lang block after the line that contains
// marker in the markdown file.
func fencedBlock(t *testing.T, file, marker, lang string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	text := string(data)
	at := strings.Index(text, marker)
	require.GreaterOrEqual(t, at, 0, "%s has no %q", file, marker)
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)\n```").FindStringSubmatch(text[at:])
	require.NotNil(t, m, "%s has no ```%s block after %q", file, lang, marker)
	return m[1]
}

// porterReference is the Porter runtime reference, docs/reference's copy.
func porterReference(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testutil.ModuleRoot(t), "docs", "reference", "porter-runtime.md")
	_, err := os.Stat(p)
	require.NoError(t, err, "the Porter reference is missing: git checkout -- docs/reference")
	return p
}

// dockerInstructions splits a Dockerfile into instructions: comments and
// blank lines dropped, continuation lines joined.
func dockerInstructions(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\"))
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(trimmed)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// fileSums is the sha256 of every regular file under dir, by path.
func fileSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(data)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	}))
	return out
}

// checkPorterSnippet: the template.Dockerfile snippet of
// docs/porter-integration.md, run the way porter build runs a template (its
// build context, Porter's lines around the template; reference §1.1) on
// base, gives the /cnab layout of built, the image mixbox build wrote for
// examples/hello unpacked: the same runtime, the same precompiled cache file
// for file, the same bundle files. TestBuild_hello runs it.
func checkPorterSnippet(t *testing.T, base, built string) {
	repo := testutil.ModuleRoot(t)
	snippet := fencedBlock(t, filepath.Join(repo, "docs", "porter-integration.md"), "<!-- the snippet", "Dockerfile")
	require.Contains(t, snippet, "# PORTER_MIXINS", "the snippet goes after Porter's mixins token")
	require.Contains(t, snippet, "COPY . ${BUNDLE_DIR}")
	porterRun := fencedBlock(t, porterReference(t), "### 1.2", "bash")

	mixbox := builds.Binary(t, "./cmd/mixbox", "mixbox")
	bundle := filepath.Join(repo, "examples", "hello", "bundle")

	// The build context of porter build: the bundle directory, with .cnab/
	// as PrepareFilesystem writes it (mixbox installed as Porter's runtime).
	ctx := t.TempDir()
	testutil.CopyTree(t, bundle, ctx)
	app := filepath.Join(ctx, ".cnab", "app")
	require.NoError(t, os.MkdirAll(filepath.Join(app, "runtimes"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(app, "run"), []byte(porterRun+"\n"), 0o770))
	copyFile(t, filepath.Join(bundle, "porter.yaml"), filepath.Join(app, "porter.yaml"))
	copyFile(t, mixbox, filepath.Join(app, "runtimes", "porter-runtime"))
	copyFile(t, builds.Binary(t, "./mixins/exec/cmd/exec-runtime", "exec-runtime"), filepath.Join(app, "mixins", "exec", "runtimes", "exec-runtime"))

	// The template's instructions, then Porter's own closing lines.
	root := testutil.Unpack(t, testutil.LayoutImage(t, base, hostPlatform()))
	args := map[string]string{"BUNDLE_DIR": "/cnab/app", "BUNDLE_GID": "0"}
	steps := append(dockerInstructions(snippet), "COPY .cnab /cnab", "RUN chgrp -R ${BUNDLE_GID} /cnab && chmod -R g=u /cnab")
	for _, step := range steps {
		op, rest, _ := strings.Cut(step, " ")
		switch op {
		case "COPY":
			f := strings.Fields(os.Expand(rest, func(k string) string { return args[k] }))
			require.Len(t, f, 2, "COPY SRC DST: %s", step)
			testutil.CopyTree(t, filepath.Join(ctx, f[0]), filepath.Join(root, f[1]))
		case "RUN":
			env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
			for k, v := range args {
				env = append(env, k+"="+v)
			}
			code, stdout, stderr := testutil.Container{Root: root, Env: env}.Run(t, "/bin/sh", "-c", rest)
			require.Equal(t, 0, code, "%s\nstdout:\n%s\nstderr:\n%s", step, stdout, stderr)
		default:
			t.Fatalf("the snippet has %q; this emulation of porter build runs COPY and RUN only", op)
		}
	}

	want := fileSums(t, filepath.Join(built, "cnab", ".mixbox", "cache"))
	require.NotEmpty(t, want)
	require.Equal(t, want, fileSums(t, filepath.Join(root, "cnab", ".mixbox", "cache")),
		"the snippet's /cnab/.mixbox/cache differs from mixbox build's")
	for _, p := range []string{"cnab/app/runtimes/porter-runtime", "cnab/app/porter.yaml", "cnab/app/helpers.sh"} {
		require.Equal(t, fileSums(t, filepath.Dir(filepath.Join(built, p)))[filepath.Base(p)],
			fileSums(t, filepath.Dir(filepath.Join(root, p)))[filepath.Base(p)], "%s differs", p)
	}
	fi, err := os.Stat(filepath.Join(root, "cnab", ".mixbox", "cache"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o070), fi.Mode().Perm()&0o070, "the cache is writable by group 0, Porter's bundle group")
}

// checkRunScript: the /cnab/app/run of built (an unpacked image) execs the
// runtime as Porter's does (reference §1.2): same arguments, PORTER_HOME,
// the action from CNAB_ACTION, the working directory kept. TestBuild_hello
// runs it.
func checkRunScript(t *testing.T, built string) {
	porterRun := fencedBlock(t, porterReference(t), "### 1.2", "bash")
	ours, err := os.ReadFile(filepath.Join(built, "cnab", "app", "run"))
	require.NoError(t, err)

	stub := "#!/bin/sh\nprintf 'argv=%s\\n' \"$0 $*\"\necho \"PORTER_HOME=$PORTER_HOME CNAB_ACTION=$CNAB_ACTION pwd=$(pwd)\"\n"
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "CNAB_ACTION=install"}
	var got []string
	for _, script := range []string{porterRun + "\n", string(ours)} {
		root := t.TempDir()
		for name, body := range map[string]string{"cnab/app/run": script, "cnab/app/runtimes/porter-runtime": stub} {
			p := filepath.Join(root, name)
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(body), 0o755))
		}
		testutil.RequireChroot(t)
		// The host's /usr and /bin (bash for Porter's script) bound in.
		cmd := chrootCommand(t, root, []string{"/bin/sh", "-c", "cd /cnab/app && exec /cnab/app/run"})
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", b)
		got = append(got, string(b))
	}
	require.Equal(t, "argv=/cnab/app/runtimes/porter-runtime run -f /cnab/app/porter.yaml\nPORTER_HOME=/cnab/app CNAB_ACTION=install pwd=/cnab/app\n", got[0],
		"Porter's run script, as the reference gives it")
	require.Equal(t, got[0], got[1], "mixbox's run script execs the runtime differently from Porter's")
}
