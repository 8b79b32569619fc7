;; no-start: exports memory and a function main, but neither _start nor
;; mixbox_step: the module is refused before it runs (exit 3).
(module
  (memory (export "memory") 1)
  (func (export "main")))
