;; loop: sets the output "before", then spins forever. The policy's
;; stepTimeout stops it: the step fails (exit 1), naming the timeout, and the
;; output is written.
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "before")
  (data (i32.const 1040) "set")
  (func (export "_start")
    (drop (call $output_set (i32.const 1024) (i32.const 6) (i32.const 1040) (i32.const 3)))
    (loop $forever (br $forever))))
