;; ping: _start does nothing; "ping" makes one output_set host call and
;; returns its status (for the host-call round-trip benchmark).
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "key")
  (data (i32.const 8) "value")
  (func (export "_start"))
  (func (export "ping") (result i32)
    (call $output_set (i32.const 0) (i32.const 3) (i32.const 8) (i32.const 5))))
