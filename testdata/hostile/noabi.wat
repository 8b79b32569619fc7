;; noabi: a WASI preview 1 program built without the mixbox guest SDK: it
;; imports no mixbox_v1 function ("abi: none"), so it cannot run commands.
;; It prints one line. `mixbox mixin inspect` must say it cannot run
;; commands; `mixbox run` must prefer the mixin's native runtime over it,
;; and run it (with a warning) when there is none.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 1024) "noabi wasm ran\0a")
  (func (export "_start")
    (i32.store (i32.const 96) (i32.const 1024))
    (i32.store (i32.const 100) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 96) (i32.const 1) (i32.const 104)))))
