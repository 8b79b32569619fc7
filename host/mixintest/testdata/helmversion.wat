;; helmversion: asks the host to run `helm version --short` and sets the
;; output "reply" to the ExecResult JSON it gets back. A tiny guest for the
;; package example; the tests use the built-in exec mixin.
(module
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "response_read" (func $response_read (param i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"command\":\"helm\",\"args\":[\"version\",\"--short\"]}")
  (data (i32.const 64) "reply")
  (func (export "_start")
    (local $n i32)
    (if (i32.lt_s (call $exec (i32.const 0) (i32.const 47)) (i32.const 0))
      (then (call $proc_exit (i32.const 1))))
    (local.set $n (call $response_read (i32.const 1024) (i32.const 8192)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (call $proc_exit (i32.const 2))))
    (drop (call $output_set (i32.const 64) (i32.const 5) (i32.const 1024) (local.get $n)))))
