;; exit0: proc_exit(0) is a success like returning from _start; the output
;; "code" is written.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "code")
  (data (i32.const 1040) "zero")
  (func (export "_start")
    (drop (call $output_set (i32.const 1024) (i32.const 4) (i32.const 1040) (i32.const 4)))
    (call $proc_exit (i32.const 0))
    unreachable))
