// Command helmlike-runtime is the helmlike example mixin. Built with
// GOOS=wasip1 GOARCH=wasm it is helmlike-runtime.wasm, which mixbox runs
// sandboxed; built natively it is a Porter-style helmlike-runtime.
package main

import (
	"github.com/mixbox/mixbox/examples/helmlike"
	"github.com/mixbox/mixbox/wasmabi/guest"
)

func main() { guest.Main(helmlike.Name, helmlike.Run) }
