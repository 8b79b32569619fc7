;; trap: an output is committed when it is set (abi-v1 §3): "before" is set
;; twice (the second value replaces the first), then the guest traps on
;; unreachable. The step fails (exit 1) and the output is still written.
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "before")
  (data (i32.const 1040) "first")
  (data (i32.const 1056) "replaced")
  (func (export "_start")
    (drop (call $output_set (i32.const 1024) (i32.const 6) (i32.const 1040) (i32.const 5)))
    (drop (call $output_set (i32.const 1024) (i32.const 6) (i32.const 1056) (i32.const 8)))
    unreachable))
