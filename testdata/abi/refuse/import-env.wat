;; import-env: imports from "env", which is neither wasi_snapshot_preview1
;; nor mixbox_v1: refused (exit 3), the error lists env.abort.
(module
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
