;; fsprobe: tries one file operation read from stdin as "<op><fd><path>", with
;; fd a digit naming a preopen, and records the WASI errno as output "errno".
;;   r read (content to output "data")   w open for write, then fd_write
;;   c create   t truncate   u unlink   d mkdir   n rename to "renamed"
;;   p name of the preopen (to output "data")
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $prestat_name (param i32 i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "errno")
  (data (i32.const 8) "data")
  (data (i32.const 16) "renamed")
  (data (i32.const 32) "werrno")
  (data (i32.const 40) "X")
  ;; 100: stdin iovec, 108: stdin length, 200: stdin, 1000: status, 1004: fd,
  ;; 1100: data iovec, 1108: data length, 4096: data
  (func $status (param $ptr i32) (param $len i32) (param $v i32)
    (i32.store (i32.const 1000) (local.get $v))
    (drop (call $output_set (local.get $ptr) (local.get $len) (i32.const 1000) (i32.const 4))))
  (func $open (param $dir i32) (param $plen i32) (param $oflags i32) (param $rights i64) (result i32)
    (call $path_open (local.get $dir) (i32.const 1) (i32.const 202) (local.get $plen)
      (local.get $oflags) (local.get $rights) (i64.const 0) (i32.const 0) (i32.const 1004)))
  (func (export "_start")
    (local $op i32) (local $dir i32) (local $plen i32) (local $e i32)
    (i32.store (i32.const 100) (i32.const 200))
    (i32.store (i32.const 104) (i32.const 512))
    (drop (call $fd_read (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 108)))
    (local.set $op (i32.load8_u (i32.const 200)))
    (local.set $dir (i32.sub (i32.load8_u (i32.const 201)) (i32.const 48)))
    (local.set $plen (i32.sub (i32.load (i32.const 108)) (i32.const 2)))
    (i32.store (i32.const 1100) (i32.const 4096))
    (i32.store (i32.const 1104) (i32.const 4096))
    (block $done
      (if (i32.eq (local.get $op) (i32.const 114)) ;; r
        (then
          (local.set $e (call $open (local.get $dir) (local.get $plen) (i32.const 0) (i64.const 2)))
          (br_if $done (local.get $e))
          (local.set $e (call $fd_read (i32.load (i32.const 1004)) (i32.const 1100) (i32.const 1) (i32.const 1108)))
          (drop (call $output_set (i32.const 8) (i32.const 4) (i32.const 4096) (i32.load (i32.const 1108))))
          (br $done)))
      (if (i32.eq (local.get $op) (i32.const 119)) ;; w
        (then
          (local.set $e (call $open (local.get $dir) (local.get $plen) (i32.const 0) (i64.const 64)))
          (br_if $done (local.get $e))
          (i32.store (i32.const 1100) (i32.const 40))
          (i32.store (i32.const 1104) (i32.const 1))
          (call $status (i32.const 32) (i32.const 6)
            (call $fd_write (i32.load (i32.const 1004)) (i32.const 1100) (i32.const 1) (i32.const 1108)))
          (br $done)))
      (if (i32.eq (local.get $op) (i32.const 99)) ;; c
        (then
          (local.set $e (call $open (local.get $dir) (local.get $plen) (i32.const 1) (i64.const 64)))
          (br $done)))
      (if (i32.eq (local.get $op) (i32.const 116)) ;; t
        (then
          (local.set $e (call $open (local.get $dir) (local.get $plen) (i32.const 8) (i64.const 64)))
          (br $done)))
      (if (i32.eq (local.get $op) (i32.const 117)) ;; u
        (then
          (local.set $e (call $unlink (local.get $dir) (i32.const 202) (local.get $plen)))
          (br $done)))
      (if (i32.eq (local.get $op) (i32.const 100)) ;; d
        (then
          (local.set $e (call $mkdir (local.get $dir) (i32.const 202) (local.get $plen)))
          (br $done)))
      (if (i32.eq (local.get $op) (i32.const 110)) ;; n
        (then
          (local.set $e (call $rename (local.get $dir) (i32.const 202) (local.get $plen)
            (local.get $dir) (i32.const 16) (i32.const 7)))
          (br $done)))
      (if (i32.eq (local.get $op) (i32.const 112)) ;; p
        (then
          (local.set $e (call $prestat_get (local.get $dir) (i32.const 3000)))
          (br_if $done (local.get $e))
          (local.set $e (call $prestat_name (local.get $dir) (i32.const 4096) (i32.load (i32.const 3004))))
          (drop (call $output_set (i32.const 8) (i32.const 4) (i32.const 4096) (i32.load (i32.const 3004))))
          (br $done)))
      unreachable)
    (call $status (i32.const 0) (i32.const 5) (local.get $e))))
