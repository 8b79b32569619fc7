;; imaged: a reactor that allows an initialization image (abi-v1 §1a): it
;; exports mixbox_env_per_step.
;;
;; _initialize draws 4 random bytes into the cell at 0x100 and the mutable
;; global, keeps the number of its environment variables at 0x110, and
;; grows the memory to 2 pages.
;;
;; mixbox_step sets outputs "rand" (the cell), "global", "pages", "initenv"
;; (the variables _initialize saw) and "env" (the variables the step sees),
;; then bumps the global and the cell, so that a test can tell a step
;; started from the image, or from an _initialize of its own.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 10)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 0x200) "rand")
  (data (i32.const 0x208) "global")
  (data (i32.const 0x210) "pages")
  (data (i32.const 0x218) "initenv")
  (data (i32.const 0x220) "env")

  ;; $out sets output name (at $name, $len bytes) to the i32 $v.
  (func $out (param $name i32) (param $len i32) (param $v i32)
    (i32.store (i32.const 0x0) (local.get $v))
    (drop (call $output_set (local.get $name) (local.get $len) (i32.const 0x0) (i32.const 4))))

  (func (export "_initialize")
    (drop (call $random_get (i32.const 0x100) (i32.const 4)))
    (global.set $g (i32.load (i32.const 0x100)))
    (drop (memory.grow (i32.const 1)))
    (drop (call $environ_sizes_get (i32.const 0x110) (i32.const 0x114))))

  (func (export "mixbox_env_per_step"))

  (func (export "mixbox_step") (result i32)
    (call $out (i32.const 0x200) (i32.const 4) (i32.load (i32.const 0x100)))
    (call $out (i32.const 0x208) (i32.const 6) (global.get $g))
    (call $out (i32.const 0x210) (i32.const 5) (memory.size))
    (call $out (i32.const 0x218) (i32.const 7) (i32.load (i32.const 0x110)))
    (drop (call $environ_sizes_get (i32.const 0x120) (i32.const 0x124)))
    (call $out (i32.const 0x220) (i32.const 3) (i32.load (i32.const 0x120)))
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 0x100) (i32.add (i32.load (i32.const 0x100)) (i32.const 1)))
    (i32.const 0)))
