package host_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mixbox/mixbox/host"
	"github.com/mixbox/mixbox/mixins/exec/builtin"
)

// Run a bundle's install action under a root directory, with the built-in
// exec mixin as wasm, and read its outputs.
func ExampleRuntime_Run() {
	ctx := context.Background()
	root, _ := os.MkdirTemp("", "mixbox-example-")
	defer func() { _ = os.RemoveAll(root) }()
	app := filepath.Join(root, "cnab", "app")
	_ = os.MkdirAll(app, 0o755)
	_ = os.WriteFile(filepath.Join(app, "porter.yaml"), []byte(`schemaVersion: 1.0.1
name: example
version: 0.1.0
registry: localhost:5000
mixins: [exec]
outputs:
  - name: greeting
install:
  - exec:
      description: "Greet"
      command: echo
      arguments: ["Hello ${ bundle.parameters.name }"]
      outputs:
        - name: greeting
          regex: "(Hello .*)"
parameters:
  - name: name
    default: world
uninstall:
  - exec:
      command: echo
      arguments: [bye]
`), 0o644)

	rt := host.New(host.Options{
		CacheDir: cacheDir, // a compiled-module cache, as `mixbox precompile` fills it
		BuiltIns: map[string][]byte{"exec": builtin.Wasm()},
	})
	defer func() { _ = rt.Close(ctx) }()
	rep, err := rt.Run(ctx, host.RunOptions{
		Root:   root,
		Action: "install",
		Params: map[string]string{"name": "example"},
		Env:    []string{"PATH=/usr/bin:/bin"},
		Stdout: io.Discard,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := os.ReadFile(filepath.Join(app, "outputs", "greeting"))
	fmt.Printf("ran %d of %d steps; greeting: %s\n", rep.Ran, rep.Steps, out)
	// Output: ran 1 of 1 steps; greeting: Hello example
}

// Inspect tells whether this host runs a module, and why not.
func ExampleInspect() {
	info, err := host.Inspect(context.Background(), builtin.Wasm())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.ABI, info.Accepted)
	// Output: mixbox_v1 true
}
