;; startparam: a _start that takes a parameter, which no WASI command may
;; have; the module check refuses it before anything runs.
(module
  (memory (export "memory") 1)
  (func (export "_start") (param i32)))
