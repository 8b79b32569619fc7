;; initsig: a reactor whose _initialize returns a value: refused.
(module
  (memory (export "memory") 1)
  (func (export "_initialize") (result i32) (i32.const 0))
  (func (export "mixbox_step") (result i32) (i32.const 0)))
