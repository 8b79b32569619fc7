// Package step defines what the runtime hands a mixin for one step and what it
// gets back, and the Runner interface that both mixin forms (wasm in a wazero
// sandbox, native <name>-runtime process) implement.
//
// The orchestration in package host only talks to a Runner, so a new form of
// mixin slots in without touching it.
package step
