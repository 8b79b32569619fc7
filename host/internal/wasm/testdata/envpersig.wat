;; envpersig: a reactor whose mixbox_env_per_step returns a value: refused.
(module
  (memory (export "memory") 1)
  (func (export "mixbox_env_per_step") (result i32) (i32.const 0))
  (func (export "mixbox_step") (result i32) (i32.const 0)))
