;; import-nope: imports mixbox_v1.nope, which this host does not provide:
;; refused (exit 3) with "needs mixbox_v1.nope, ... upgrade mixbox" (abi-v1 §7).
(module
  (import "mixbox_v1" "nope" (func $nope (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
