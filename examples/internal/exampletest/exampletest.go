package exampletest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/internal/testutil"
)

// Mixbox builds cmd/mixbox into a temporary directory and returns its path.
func Mixbox(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "mixbox")
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	GoBuild(t, nil, out, "github.com/mixbox/mixbox/cmd/mixbox")
	return out
}

// Wasm builds the Go package pkg with GOOS=wasip1 GOARCH=wasm, as a reactor
// (abi-v1 §1a; -buildmode=c-shared -tags mixbox_reactor) and, when meta is
// not empty, packs that metadata file into it as `mixbox mixin pack` does.
// It returns the module's path, in a temporary directory.
func Wasm(t testing.TB, pkg, name, meta string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	// The flags of the examples' Makefiles.
	GoBuild(t, []string{"GOOS=wasip1", "GOARCH=wasm"}, out, pkg, "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
		"-buildmode=c-shared", "-tags", "mixbox_reactor")
	if meta == "" {
		return out
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("read the built module: %v", err)
	}
	md, err := os.ReadFile(meta)
	if err != nil {
		t.Fatalf("read the mixin metadata: %v", err)
	}
	packed, err := host.Pack(bin, md)
	if err != nil {
		t.Fatalf("pack %s into %s: %v", meta, name, err)
	}
	if err := os.WriteFile(out, packed, 0o644); err != nil {
		t.Fatalf("write the packed module: %v", err)
	}
	return out
}

// GoBuild runs `go build FLAGS -o out pkg` with env added to the test's
// environment, and fails the test with the compiler's output.
func GoBuild(t testing.TB, env []string, out, pkg string, flags ...string) {
	t.Helper()
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, b)
	}
}

// CopyDir copies the directory tree src into dst, keeping exec bits.
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	testutil.CopyTree(t, src, dst)
}

// Install copies a wasm mixin to where `mixbox run --cnab-root root` looks
// for an installed mixin: root/cnab/app/mixins/NAME/runtimes/NAME-runtime.wasm.
func Install(t testing.TB, root, name, wasmFile string) {
	t.Helper()
	dir := filepath.Join(root, "cnab", "app", "mixins", name, "runtimes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(wasmFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+"-runtime.wasm"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Env is a clean environment for running mixbox: PATH and HOME only, so
// that no MIXBOX_*, PORTER_* or CNAB_* variable of the developer's shell
// changes what a test sees, and no background compile of a cold module
// (docs/spec/cli.md) outlives the test.
func Env(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "MIXBOX_BACKGROUND_COMPILE=off"}
	return append(env, extra...)
}
