;; both: exports _start and mixbox_step: a reactor, so _start never runs.
;; _start sets output "ran" to "start", mixbox_step to "step".
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "ran")
  (data (i32.const 8) "start")
  (data (i32.const 16) "step")
  (func (export "_start")
    (drop (call $output_set (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 5))))
  (func (export "mixbox_step") (result i32)
    (drop (call $output_set (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 4)))
    (i32.const 0)))
