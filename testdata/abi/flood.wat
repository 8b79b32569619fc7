;; flood: writes 10,000 lines of 100 bytes to stdout (about 1 MB), logs one
;; line, then sets the output "done". With a small logBytes the host drops
;; what is past the cap, prints one notice, and the step goes on to succeed.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec at 0: {ptr 64, len 100}; nwritten at 16
  (data (i32.const 0) "\40\00\00\00\64\00\00\00")
  (data (i32.const 64) "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n")
  (data (i32.const 200) "done")
  (data (i32.const 210) "yes")
  (func (export "_start")
    (local $i i32)
    (loop $more
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 10000))))
    (drop (call $output_set (i32.const 200) (i32.const 4) (i32.const 210) (i32.const 3)))))
