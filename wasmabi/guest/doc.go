// Package guest is the SDK for writing a mixbox mixin in Go. One source
// builds two ways:
//
//   - GOOS=wasip1 GOARCH=wasm: a WebAssembly mixin that acts only through
//     the mixbox_v1 host functions (docs/spec/abi-v1.md);
//   - any other GOOS: a native <name>-runtime binary that works under Porter
//     and under mixbox, running commands with os/exec.
//
// A mixin is a function that receives a Host and an Invocation:
//
//	func main() {
//		guest.Main("hello", func(ctx context.Context, h guest.Host, inv guest.Invocation) error {
//			res, err := h.Exec(ctx, wasmabi.ExecRequest{Command: "echo", Args: []string{"hi"}})
//			if err != nil {
//				return fmt.Errorf("run echo: %w", err)
//			}
//			return h.SetOutput("greeting", []byte(res.Stdout))
//		})
//	}
//
// Main parses argv (`<name> install|upgrade|uninstall`, `<name> invoke
// --action X`, or any other command such as `version`), reads the step YAML
// from stdin, calls the mixin and, on failure, prints the error the way
// Porter's mixins do (`Error: <err>` then `<err>`) and exits 1.
//
// Errors of Host.Exec that come from the host (a refused or missing command)
// match the wasmabi.Status with errors.Is, and are an *ExecError.
//
// # Paths
//
// A mixin only ever sees logical paths: its working directory is /cnab/app
// and outputs go to /cnab/app/porter/outputs. When mixbox runs a bundle
// without a container (`mixbox run --cnab-root DIR`) it sets
// MIXBOX_CNAB_ROOT=DIR for native mixins; the native backend then maps every
// absolute path it touches (request dir, absolute command paths,
// ReadFile/Stat, the outputs directory) to DIR+path, so messages still print
// /cnab/app exactly as under Porter.
//
// # Commands
//
// Both builds find a bare command name with the same rule (the wasm host's
// and the native backend's look-ups are one function, internal/procexec):
// the absolute entries of the PATH in order; a name found first through a
// relative entry ("." or "") does not run, as os/exec refuses it. The
// native backend runs a command in its own process group; when the context
// ends the group gets SIGTERM and, after NativeOptions.WaitDelay or once the
// command is done, SIGKILL. A command killed by signal N reports exit code
// 128+N and the signal's name.
//
// # Notes
//
// The native backend does not mask: Mask is a no-op, because under Porter and
// under mixbox the runtime that reads a native mixin's output does the
// masking. It does not enforce a policy either: a native mixin is unsandboxed.
package guest
