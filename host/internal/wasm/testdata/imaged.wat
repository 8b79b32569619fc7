;; imaged: a reactor that allows an initialization image (abi-v1 §1a): it
;; exports mixbox_env_per_step.
;;
;; _initialize draws 4 random bytes into the cell at 0x100 and the mutable
;; global and grows the memory to 2 pages; when its environment has more
;; than one variable (PORTER_DEBUG is set) it also logs a line, a call that
;; no image can replay.
;;
;; mixbox_step sets outputs "rand" (the cell), "global" and "pages", then
;; bumps the global and the cell, so that a test can tell a step started
;; from the image, or from an _initialize of its own.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 10)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 0x200) "rand")
  (data (i32.const 0x208) "global")
  (data (i32.const 0x210) "pages")
  (data (i32.const 0x220) "initialized with env")

  ;; $out sets output name (at $name, $len bytes) to the i32 $v.
  (func $out (param $name i32) (param $len i32) (param $v i32)
    (i32.store (i32.const 0x0) (local.get $v))
    (drop (call $output_set (local.get $name) (local.get $len) (i32.const 0x0) (i32.const 4))))

  (func (export "_initialize")
    (drop (call $random_get (i32.const 0x100) (i32.const 4)))
    (global.set $g (i32.load (i32.const 0x100)))
    (drop (memory.grow (i32.const 1)))
    (drop (call $environ_sizes_get (i32.const 0x110) (i32.const 0x114)))
    (if (i32.gt_u (i32.load (i32.const 0x110)) (i32.const 1))
      (then (drop (call $log (i32.const 1) (i32.const 0x220) (i32.const 20))))))

  (func (export "mixbox_env_per_step"))

  (func (export "mixbox_step") (result i32)
    (call $out (i32.const 0x200) (i32.const 4) (i32.load (i32.const 0x100)))
    (call $out (i32.const 0x208) (i32.const 6) (global.get $g))
    (call $out (i32.const 0x210) (i32.const 5) (memory.size))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 0x100) (i32.add (i32.load (i32.const 0x100)) (i32.const 1)))
    (i32.const 0)))
