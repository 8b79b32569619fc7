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
// # Reactors
//
// A wasm mixin built as a command (the default) starts Go's runtime and runs
// its package initializers for every step. Built as a reactor (abi-v1 §1a),
// it pays for that once per run: mixbox instantiates it once, calls
// _initialize (the package initializers), and restores the instance to that
// state before every step. The source does not change; only the build does:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -tags mixbox_reactor -o NAME-runtime.wasm ./cmd/NAME-runtime
//
// In a c-shared build Go never runs main.main by itself. With the
// mixbox_reactor tag this package exports mixbox_step, which runs main once
// per step; main calls Main as always, and Main, instead of exiting, returns
// the step's exit code to mixbox_step. So main runs exactly as in a command,
// once per step, with the step's stdin; nothing of a step is left for the
// next one, since the host restores the instance (memory, globals) first.
// The tag alone, without -buildmode=c-shared, makes a module whose first
// step traps ("wasmexport function called before runtime initialization");
// c-shared without the tag, a module mixbox refuses (no _start, no
// mixbox_step).
//
// What a reactor's steps share is what the package initializers built:
// compile regular expressions and build tables at package level, not on
// first use, or every step builds them again after the restore. A cache
// filled lazily (encoding/json's, yaml.v3's type caches) can be warmed by an
// init function in a file built only with the tag (//go:build
// mixbox_reactor), as this package does for the ABI's JSON types and
// mixins/exec for its step type; a command build leaves it out, since there
// every step pays for init. A mixin that calls os.Exit itself instead of
// returning from Main still works: the step ends with that code and mixbox
// starts the next step on a new instance.
//
// A reactor's step sets os.Args and the environment again from what the
// host gives it. Built with the mixbox_image tag as well
// (-tags mixbox_reactor,mixbox_image), the module exports
// mixbox_env_per_step, and mixbox may keep the state the initializers leave
// in its cache and start later runs from it instead of initializing again
// (abi-v1 §1a, "Initialization images"): for the exec mixin that is its
// whole _initialize, about 29 ms, saved on every run. The initializers of
// such a module then see os.Args ["mixin"] and an empty environment, so
// that the image holds nothing of any run; each step sees its own. The tag
// is a promise that no package initializer keeps os.Args or the
// environment in a variable (read them in main or in the mixin's
// function). mixbox keeps no image when an initializer writes, opens a
// file or calls the host.
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
