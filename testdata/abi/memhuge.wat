;; memhuge: an initial memory of 4097 pages is over the default cap of
;; 256Mi (docs/spec/policy.md): the step fails (exit 1) without a policy.
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4097)
  (data (i32.const 1024) "ran")
  (func (export "_start")
    (drop (call $output_set (i32.const 1024) (i32.const 3) (i32.const 1024) (i32.const 3)))))
