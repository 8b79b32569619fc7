;; exit: commits an output, then calls proc_exit with the first byte of stdin
;; minus '0' (so stdin "3" exits 3, "0" exits 0).
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "before")
  (data (i32.const 16) "kept")
  (func (export "_start")
    (drop (call $output_set (i32.const 0) (i32.const 6) (i32.const 16) (i32.const 4)))
    (i32.store (i32.const 100) (i32.const 200))
    (i32.store (i32.const 104) (i32.const 1))
    (drop (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 108)))
    (call $proc_exit (i32.sub (i32.load8_u (i32.const 200)) (i32.const 48)))))
