;; reactortable: a reactor whose mixbox_step writes a table (table.set), which
;; the host cannot restore: every step must run on a new instance. Each
;; instance logs "table reactor initialized" from _initialize; mixbox_step
;; sets output "global" to its mutable global, then bumps it.
(module
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 0x200) "global")
  (data (i32.const 0x210) "table reactor initialized")
  (func $f)
  (elem declare func $f)
  (func (export "_initialize")
    (global.set $g (i32.const 40))
    (drop (call $log (i32.const 1) (i32.const 0x210) (i32.const 25))))
  (func (export "mixbox_step") (result i32)
    (i32.store (i32.const 0) (global.get $g))
    (drop (call $output_set (i32.const 0x200) (i32.const 6) (i32.const 0) (i32.const 4)))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (table.set $t (i32.const 0) (ref.func $f))
    (i32.const 0)))
