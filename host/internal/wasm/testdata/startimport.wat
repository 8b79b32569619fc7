;; startimport: _start re-exports an imported function of type (i32) -> (),
;; so its signature comes from the import, not from the function section.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (export "_start" (func $proc_exit)))
