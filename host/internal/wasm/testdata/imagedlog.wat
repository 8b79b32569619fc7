;; imagedlog: a reactor that exports mixbox_env_per_step but whose
;; _initialize logs a line, a call no image can replay: the host keeps no
;; image of it. mixbox_step sets output "rand", 4 random bytes _initialize
;; drew.
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x200) "rand")
  (data (i32.const 0x220) "initialized")
  (func (export "_initialize")
    (drop (call $random_get (i32.const 0x100) (i32.const 4)))
    (drop (call $log (i32.const 1) (i32.const 0x220) (i32.const 11))))
  (func (export "mixbox_env_per_step"))
  (func (export "mixbox_step") (result i32)
    (drop (call $output_set (i32.const 0x200) (i32.const 4) (i32.const 0x100) (i32.const 4)))
    (i32.const 0)))
