;; exit: the output "code" survives proc_exit(7); the step fails with the
;; guest's exit code named in the error.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "code")
  (data (i32.const 1040) "seven")
  (func (export "_start")
    (drop (call $output_set (i32.const 1024) (i32.const 4) (i32.const 1040) (i32.const 5)))
    (call $proc_exit (i32.const 7))
    unreachable))
