package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/mixins/exec"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// reviewManifest is a bundle with a typo'd step key.
const reviewManifest = `schemaVersion: 1.0.1
name: example
version: 0.1.0
registry: localhost:5000
mixins: [exec]
install:
  - exec:
      description: "Greet"
      command: echo
      argumnets: [hello]
`

// Lint a bundle before running it: the exec mixin's schema says which keys
// a step may have.
func ExampleRuntime_Lint() {
	dir, _ := os.MkdirTemp("", "mixbox-example-")
	defer func() { _ = os.RemoveAll(dir) }()
	_ = os.WriteFile(filepath.Join(dir, "porter.yaml"), []byte(reviewManifest), 0o644)

	rt := host.New(host.Options{BuiltIns: map[string][]byte{"exec": builtin.Wasm()}})
	defer func() { _ = rt.Close(context.Background()) }()
	found, err := rt.Lint(context.Background(), host.LintOptions{
		ManifestPath: filepath.Join(dir, "porter.yaml"),
		Schemas:      map[string]string{"exec": exec.Schema()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range found {
		fmt.Printf("%s %s line %d: %s\n", f.Level, f.Code, f.Line, f.Message)
	}
	fmt.Println(found.Summary())
	// Output:
	// error mixbox-101 line 10: install step 1: exec has no key "argumnets"; did you mean "arguments"?
	// 1 error
}

// Explain a bundle: its actions, parameters, credentials, outputs and the
// form each mixin runs in here.
func ExampleRuntime_Explain() {
	dir, _ := os.MkdirTemp("", "mixbox-example-")
	defer func() { _ = os.RemoveAll(dir) }()
	_ = os.WriteFile(filepath.Join(dir, "porter.yaml"), []byte(reviewManifest), 0o644)

	rt := host.New(host.Options{BuiltIns: map[string][]byte{"exec": builtin.Wasm()}})
	defer func() { _ = rt.Close(context.Background()) }()
	err := rt.Explain(context.Background(), host.ExplainOptions{ManifestPath: filepath.Join(dir, "porter.yaml")}, os.Stdout)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// Name:     example
	// Version:  0.1.0
	//
	// Actions:
	//   NAME     KIND  STEPS  MODIFIES  STATELESS  DESCRIPTION
	//   install  core  1      yes       no
	//
	// Mixins:
	//   NAME  STEPS  RUNS AS
	//   exec  1      wasm, built-in
}
