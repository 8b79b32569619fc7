;; grow: one page, a declared maximum of 1000 pages. Records memory.grow of
;; 100 pages as "big" and of 1 page as "one", then the page count as "size".
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1000)
  (data (i32.const 0) "big")
  (data (i32.const 8) "one")
  (data (i32.const 16) "size")
  (func $status (param $ptr i32) (param $len i32) (param $v i32)
    (i32.store (i32.const 1000) (local.get $v))
    (drop (call $output_set (local.get $ptr) (local.get $len) (i32.const 1000) (i32.const 4))))
  (func (export "_start")
    (call $status (i32.const 0) (i32.const 3) (memory.grow (i32.const 100)))
    (call $status (i32.const 8) (i32.const 3) (memory.grow (i32.const 1)))
    (call $status (i32.const 16) (i32.const 4) (memory.size))))
