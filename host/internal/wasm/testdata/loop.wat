;; loop: commits an output, then spins forever.
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "before")
  (data (i32.const 16) "kept")
  (func (export "_start")
    (drop (call $output_set (i32.const 0) (i32.const 6) (i32.const 16) (i32.const 4)))
    (loop $forever (br $forever))))
