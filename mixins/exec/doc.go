// Package exec is Porter's exec mixin rebuilt on the mixbox guest SDK
// (package guest): the same source builds to exec-runtime.wasm, which mixbox
// runs sandboxed, and to a native exec-runtime that works under Porter and
// under mixbox.
//
// It follows Porter's exec mixin (pkg/exec, pkg/exec/builder) byte for byte
// where users can see it: how a step is loaded, how a command is resolved,
// how flags are rendered and split, how outputs (jsonPath, regex, path) and
// ignoreError work, and the error texts (see
// docs/reference/porter-runtime.md §4).
//
//	code := guest.Run(ctx, guest.Default(), guest.RunOptions{Args: os.Args, Stdin: os.Stdin}, exec.Run)
//
// # Notes
//
// A wasm build cannot learn where a bare command name resolves on the host,
// so its error texts name the command as given (`bash`) where Porter names
// the resolved path (`/usr/bin/bash`); the native build prints the path.
// The exec mixin does not mask anything itself: the runtime masks its output.
// Where Porter's error about a step that does not decode prints the whole
// step input and yaml.v3's quote of a value's first characters, this one
// names the line and key instead: no error text quotes a value (a secret the
// runtime could mask whole but not in part).
package exec
