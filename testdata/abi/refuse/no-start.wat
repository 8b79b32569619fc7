;; no-start: exports memory but no _start (a reactor, not a command): the
;; module is refused before it runs (exit 3).
(module
  (memory (export "memory") 1)
  (func (export "main")))
