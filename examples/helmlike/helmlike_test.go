package helmlike_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mixbox/mixbox/examples/internal/exampletest"
	"github.com/mixbox/mixbox/host/mixintest"
)

const (
	pkg       = "github.com/mixbox/mixbox/examples/helmlike/cmd/helmlike-runtime"
	casesFile = "testdata/cases.yaml"
)

// testCtx is the context of every call that runs a guest.
type ctxKey struct{}

var testCtx = context.WithValue(context.Background(), ctxKey{}, "helmlike")

// TestCases builds the mixin to wasm, packs its metadata, and runs every
// case of testdata/cases.yaml against it in the mixbox sandbox: the cases'
// exec tables answer its helm and kubectl calls.
func TestCases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the mixin to wasm")
	}
	t.Parallel()
	bin, err := os.ReadFile(exampletest.Wasm(t, pkg, "helmlike-runtime.wasm", "mixin.yaml"))
	require.NoError(t, err)
	suite, err := mixintest.LoadCases(casesFile)
	require.NoError(t, err, "fix %s", casesFile)
	require.NotEmpty(t, suite.Cases)

	// No Name: the tester takes it from the packed metadata.
	tester, err := mixintest.New(testCtx, bin, mixintest.Options{Engine: mixintest.Interpreter})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tester.Close(testCtx)) })

	for _, c := range suite.Cases {
		t.Run(c.Name, func(t *testing.T) {
			res, err := tester.Run(testCtx, c)
			require.NoError(t, err)
			if !res.Passed() {
				t.Fatalf("%s:%d: case failed:\n%s\nstdout:\n%s\nstderr:\n%s\nif the change is intended, run: mixbox mixin test --cases examples/helmlike/%s --update",
					suite.Path, c.Line, strings.Join(res.Failures, "\n"), res.Stdout, res.Stderr, casesFile)
			}
			// A secret the mixin read never reaches the console in clear.
			for _, v := range res.Masked {
				assert.NotContains(t, res.Stdout+res.Stderr, v)
			}
			if _, ok := res.Outputs["mysql-root-password"]; ok {
				assert.Contains(t, res.Masked, res.Outputs["mysql-root-password"], "the decoded secret must be masked")
			}
		})
	}
}

// TestCLI runs the same cases file through `mixbox mixin test`, as an
// author would, and checks the module's metadata with `mixbox mixin inspect`.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mixbox and the mixin")
	}
	t.Parallel()
	mixbox := exampletest.Mixbox(t)
	wasmFile := exampletest.Wasm(t, pkg, "helmlike-runtime.wasm", "")

	// Pack with the CLI this time (flags before the module: see the README).
	out, err := command(mixbox, "mixin", "pack", "--meta", "mixin.yaml", wasmFile)
	require.NoError(t, err, out)

	out, err = command(mixbox, "mixin", "inspect", wasmFile)
	require.NoError(t, err, out)
	assert.Contains(t, out, "metadata: name helmlike, version v0.1.0, abi mixbox_v1")
	assert.Contains(t, out, "capabilities: exec [helm, kubectl], env [KUBECONFIG]")

	out, err = command(mixbox, "mixin", "test", wasmFile, "--cases", casesFile, "--engine", "interpreter")
	require.NoError(t, err, out)
	suite, err := mixintest.LoadCases(casesFile)
	require.NoError(t, err)
	assert.Contains(t, out, "PASS install runs helm upgrade --install with the step's flags")
	assert.True(t, strings.HasSuffix(out, fmt.Sprintf("\n%d passed, 0 failed\n", len(suite.Cases))), out)
}

// TestNative builds the same source natively: the Porter-style runtime.
func TestNative(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the native runtime")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "helmlike-runtime")
	exampletest.GoBuild(t, nil, bin, pkg)
	out, err := command(bin, "version")
	require.NoError(t, err, out)
	require.Equal(t, "helmlike dev\n", out)
}

func command(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = exampletest.Env()
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}
