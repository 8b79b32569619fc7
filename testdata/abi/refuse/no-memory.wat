;; no-memory: exports _start but its memory as "mem", not "memory": refused (exit 3).
(module
  (memory (export "mem") 1)
  (func (export "_start")))
