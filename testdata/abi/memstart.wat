;; memstart: an initial memory of 17 pages (1 MiB + 64 KiB) is over a policy
;; `memory: 1Mi`: the step fails (exit 1) with a message naming the cap, and
;; the guest never runs (abi-v1 §8.7).
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 17)
  (data (i32.const 1024) "ran")
  (func (export "_start")
    (drop (call $output_set (i32.const 1024) (i32.const 3) (i32.const 1024) (i32.const 3)))))
