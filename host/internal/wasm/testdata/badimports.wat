;; badimports: every kind of disallowed import, and no _start.
(module
  (import "env" "foo" (func (param i32)))
  (import "mixbox_v1" "teleport" (func (param i32 i32) (result i32)))
  (import "mixbox_v1" "log" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "memory" (memory 1))
  (import "wasi_snapshot_preview1" "no_such_call" (func))
  (export "memory" (memory 0)))
