// Package native runs a Porter mixin's native runtime binary,
// <mixins-dir>/NAME/runtimes/NAME-runtime, exactly as Porter's runtime does:
// argv [path, ACTION] or [path, "invoke", "--action", NAME], the rendered step
// YAML on stdin, the runtime's whole environment, cwd the bundle directory,
// and outputs exchanged through files in <bundle>/porter/outputs.
//
// # Security
//
// A native mixin is not sandboxed: it runs with mixbox's privileges and
// environment. The run log says so.
//
// # Notes
//
// The process runs in its own process group. When the context is cancelled
// the group gets SIGTERM, then SIGKILL after Options.WaitDelay. Outputs
// written before a failure or a cancellation are still collected.
package native
