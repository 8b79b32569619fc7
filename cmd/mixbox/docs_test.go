package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/internal/testutil"
)

// docSkip is a command of the docs that TestDocs_commands does not run:
// always (needs empty), or when a tool or file it needs is missing.
type docSkip struct {
	reason string
	needs  []string // commands on the PATH, or absolute files
}

// docSkips are the documented commands the test does not run, by command
// (its text without a trailing comment), each with why.
func docSkips() map[string]docSkip {
	return map[string]docSkip{
		"make test":                          {reason: "it runs this very test suite"},
		"docker load -i bin/hello-image.tar": {reason: "it needs a Docker daemon (TestBuild_hello runs the image in a chroot instead)"},
		`docker run --rm -e CNAB_ACTION=install -e NAME=docker -v "$PWD/outputs:/cnab/app/outputs" mixbox/hello:0.1.0`: {
			reason: "it needs a Docker daemon (TestBuild_hello runs the image in a chroot instead)",
		},
		"cat outputs/greeting": {reason: "the docker run before it did not run"},
		"mv ~/.porter/runtimes/porter-runtime ~/.porter/runtimes/porter-runtime.porter": {
			reason: "it needs a Porter installation (TestBuild_hello checks the template.Dockerfile snippet as porter build would run it)",
		},
		"cp bin/mixbox ~/.porter/runtimes/porter-runtime": {reason: "it needs a Porter installation, as the mv before it"},
		"clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror -Wl,--strip-debug -o examples/cmixin/src/cmixin.wasm examples/cmixin/src/cmixin.c": {
			reason: "clang and wasi-libc are not installed (scripts/deps.sh installs them)",
			needs:  []string{"clang", "/usr/include/wasm32-wasi/stdio.h"},
		},
	}
}

// TestDocs_commands runs every command of README.md and docs/*.md, as a
// reader would: each page's ```sh blocks in order, in one shell, from the
// root of a fresh copy of this checkout (README.md first: it builds bin/).
// A command in docSkips is not run, and the log says why.
func TestDocs_commands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mixbox, examples and a scaffolded mixin, as the docs do")
	}
	t.Parallel()
	root := testutil.ModuleRoot(t)
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	pages = append([]string{filepath.Join(root, "README.md")}, pages...)

	work := t.TempDir()
	repo := filepath.Join(work, "mixbox")
	copyCheckout(t, root, repo)
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	env := []string{
		"PATH=" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + filepath.Join(work, "home"),
		"TMPDIR=" + filepath.Join(work, "tmp"),
		"GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local",
		"MIXBOX_BACKGROUND_COMPILE=off", // no compile outlives the test (cli.md)
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
		out, err := exec.Command("go", "env", k).Output()
		require.NoError(t, err)
		env = append(env, k+"="+strings.TrimSpace(string(out)))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(work, "tmp"), 0o755))

	skips, used := docSkips(), map[string]bool{}
	for _, page := range pages {
		rel, err := filepath.Rel(root, page)
		require.NoError(t, err)
		data, err := os.ReadFile(page)
		require.NoError(t, err)
		var script strings.Builder
		script.WriteString("set -eu\n")
		n := 0
		for _, c := range shellCommands(string(data)) {
			if s, ok := skips[c.key]; ok {
				used[c.key] = true
				if missing := missingNeeds(s.needs); len(s.needs) == 0 || missing != "" {
					t.Logf("%s:%d: not run: %s: %s", rel, c.line, c.key, s.reason)
					continue
				}
			}
			fmt.Fprintf(&script, "printf '%%s\\n' %s\n%s\n", shellQuote(fmt.Sprintf(">>> %s:%d: %s", rel, c.line, c.key)), c.text)
			n++
		}
		if n == 0 {
			continue
		}
		cmd := exec.CommandContext(testCtx, "sh", "-c", script.String())
		cmd.Dir = repo
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "a command of %s failed (the last >>> line):\n%s", rel, out)
		t.Logf("%s: %d commands ran", rel, n)
	}
	for k := range skips {
		require.True(t, used[k], "docSkips lists %q, which no page has any more: remove it", k)
	}
}

// docCommand is one command of a ```sh block: its lines as written and its
// text without comments, joined, as docSkips names it.
type docCommand struct {
	text string
	key  string
	line int
}

// shellCommands returns the commands of the ```sh blocks of a markdown
// page, in order: a line, with the lines a trailing backslash continues.
func shellCommands(md string) []docCommand {
	var out []docCommand
	in := false
	var cur []string
	start := 0
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !in && trimmed == "```sh":
			in = true
			continue
		case in && trimmed == "```":
			in = false
			continue
		case !in || len(cur) == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")):
			continue
		}
		if len(cur) == 0 {
			start = i + 1
		}
		cur = append(cur, line)
		if strings.HasSuffix(trimmed, "\\") {
			continue
		}
		var key []string
		for _, l := range cur {
			key = append(key, strings.TrimSuffix(strings.TrimSpace(stripComment(l)), "\\"))
		}
		out = append(out, docCommand{text: strings.Join(cur, "\n"), key: strings.Join(strings.Fields(strings.Join(key, " ")), " "), line: start})
		cur = nil
	}
	return out
}

// stripComment drops a shell comment that starts a word outside quotes.
func stripComment(line string) string {
	var quote rune
	prev := ' '
	for i, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t'):
			return line[:i]
		}
		prev = r
	}
	return line
}

// missingNeeds returns the first of needs that is not there, or "".
func missingNeeds(needs []string) string {
	for _, n := range needs {
		if filepath.IsAbs(n) {
			if _, err := os.Stat(n); err != nil {
				return n
			}
		} else if _, err := exec.LookPath(n); err != nil {
			return n
		}
	}
	return ""
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// copyCheckout copies the checkout at src to dst without what is not
// source: .git and build output.
func copyCheckout(t *testing.T, src, dst string) {
	t.Helper()
	skipDirs := []string{".git", "bin", filepath.Join("examples", "helmlike", "bin")}
	testutil.CopyTreeExcept(t, src, dst, func(rel string, dir bool) bool {
		if dir {
			return slices.Contains(skipDirs, rel)
		}
		return strings.HasSuffix(rel, ".test") || rel == "helmlike-runtime.wasm" || rel == "helmlike-runtime"
	})
}

func TestShellCommands(t *testing.T) {
	t.Parallel()
	md := "intro\n```sh\nmake build   # bin/\n# a comment line\nfoo 'a # b' \\\n    --x   # c\n\n```\n```go\nnot run\n```\n```sh\necho \"#no\" #yes\n```\n"
	got := shellCommands(md)
	require.Equal(t, []docCommand{
		{text: "make build   # bin/", key: "make build", line: 3},
		{text: "foo 'a # b' \\\n    --x   # c", key: "foo 'a # b' --x", line: 5},
		{text: "echo \"#no\" #yes", key: "echo \"#no\"", line: 13},
	}, got)
}
