;; exportkinds: _start is a global and memory is a function; the memory
;; itself is exported under another name.
(module
  (memory (export "mem") 1)
  (global (export "_start") i32 (i32.const 0))
  (func (export "memory")))
