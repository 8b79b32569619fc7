;; step-signature: a reactor whose mixbox_step returns nothing: refused.
(module
  (memory (export "memory") 1)
  (func (export "mixbox_step")))
