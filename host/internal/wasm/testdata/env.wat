;; env: sets outputs "args" and "env" to the raw NUL-separated argv and
;; environ, and "stdin" to the first 4 KiB of stdin.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "args")
  (data (i32.const 8) "env")
  (data (i32.const 16) "stdin")
  ;; 100: count, 104: buf size, 1024: pointers, 8192: strings
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 100) (i32.const 104)))
    (drop (call $args_get (i32.const 1024) (i32.const 8192)))
    (drop (call $output_set (i32.const 0) (i32.const 4) (i32.const 8192) (i32.load (i32.const 104))))
    (drop (call $environ_sizes_get (i32.const 100) (i32.const 104)))
    (drop (call $environ_get (i32.const 1024) (i32.const 8192)))
    (drop (call $output_set (i32.const 8) (i32.const 3) (i32.const 8192) (i32.load (i32.const 104))))
    ;; iovec at 200: buf 16384, len 4096; nread at 208
    (i32.store (i32.const 200) (i32.const 16384))
    (i32.store (i32.const 204) (i32.const 4096))
    (drop (call $fd_read (i32.const 0) (i32.const 200) (i32.const 1) (i32.const 208)))
    (drop (call $output_set (i32.const 16) (i32.const 5) (i32.const 16384) (i32.load (i32.const 208))))))
