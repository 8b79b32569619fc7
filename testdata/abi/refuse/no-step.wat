;; no-step: exports _initialize and memory but neither _start nor
;; mixbox_step, like a Go c-shared build without the reactor tag: refused.
(module
  (memory (export "memory") 1)
  (func (export "_initialize")))
