;; exec-signature: imports mixbox_v1.exec as (i32) -> i32 instead of
;; (i32, i32) -> i32: refused (exit 3), the error names mixbox_v1.exec.
(module
  (import "mixbox_v1" "exec" (func $exec (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
