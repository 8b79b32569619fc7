;; fifo: something in the bundle that is not a regular file or a directory
;; (a FIFO no one writes to, whose open(2) would block the host call
;; forever) can be stat'ed and opened at once, and every read of it fails
;; with a WASI errno; reading a regular file next to it still works.
;; abi_test.go makes the FIFO.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; Reporting helpers, the same in every guest of testdata/abi: each check
  ;; prints "abi: NAME=VALUE\n" on stdout, which abi_test.go parses.
  ;; Scratch memory: 96 iovec, 128..160 digits, 192 "abi: ", 256.. the line.
  (data (i32.const 192) "abi: ")
  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func $copy (param $dst i32) (param $src i32) (param $n i32) (result i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (local.get $n)))
        (i32.store8 (local.get $dst) (i32.load8_u (local.get $src)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $dst))
  (func $write (param $fd i32) (param $p i32) (param $n i32)
    (i32.store (i32.const 96) (local.get $p))
    (i32.store (i32.const 100) (local.get $n))
    (drop (call $fd_write (local.get $fd) (i32.const 96) (i32.const 1) (i32.const 104))))
  ;; $report prints "abi: <NUL-terminated name at $name>=<$v in decimal>\n".
  (func $report (param $name i32) (param $v i32)
    (local $o i32) (local $u i32) (local $t i32)
    (local.set $o (call $copy (i32.const 256) (i32.const 192) (i32.const 5)))
    (local.set $o (call $copy (local.get $o) (local.get $name) (call $strlen (local.get $name))))
    (i32.store8 (local.get $o) (i32.const 61)) ;; '='
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (local.set $u (local.get $v))
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (i32.store8 (local.get $o) (i32.const 45)) ;; '-'
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (local.set $u (i32.sub (i32.const 0) (local.get $v)))))
    (local.set $t (i32.const 160))
    (loop $digit
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (i32.store8 (local.get $t) (i32.add (i32.const 48) (i32.rem_u (local.get $u) (i32.const 10))))
      (local.set $u (i32.div_u (local.get $u) (i32.const 10)))
      (br_if $digit (local.get $u)))
    (local.set $o (call $copy (local.get $o) (local.get $t) (i32.sub (i32.const 160) (local.get $t))))
    (i32.store8 (local.get $o) (i32.const 10))
    (call $write (i32.const 1) (i32.const 256) (i32.sub (i32.add (local.get $o) (i32.const 1)) (i32.const 256))))
  (data (i32.const 1024) "fifo\00")
  (data (i32.const 1056) "porter.yaml\00")
  (data (i32.const 2048) "stat_fifo\00")
  (data (i32.const 2112) "open_fifo\00")
  (data (i32.const 2144) "read_fifo\00")
  (data (i32.const 2176) "open_regular\00")
  (data (i32.const 2240) "read_regular\00")
  ;; $open opens the path at $p under fd 3 for reading; the new fd goes to 64.
  (func $open (param $p i32) (result i32)
    (call $path_open (i32.const 3) (i32.const 1) (local.get $p) (call $strlen (local.get $p))
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
  (func (export "_start")
    ;; path_filestat_get(fd 3, follow symlinks, "fifo", stat at 512): a stat never blocks.
    (call $report (i32.const 2048) (call $path_filestat_get (i32.const 3) (i32.const 1)
      (i32.const 1024) (call $strlen (i32.const 1024)) (i32.const 512)))
    (call $report (i32.const 2112) (call $open (i32.const 1024)))
    (i32.store (i32.const 80) (i32.const 8192))
    (i32.store (i32.const 84) (i32.const 16))
    (call $report (i32.const 2144) (call $fd_read (i32.load (i32.const 64)) (i32.const 80) (i32.const 1) (i32.const 88)))
    (call $report (i32.const 2176) (call $open (i32.const 1056)))
    (i32.store (i32.const 80) (i32.const 8192))
    (i32.store (i32.const 84) (i32.const 16))
    (call $report (i32.const 2240) (call $fd_read (i32.load (i32.const 64)) (i32.const 80) (i32.const 1) (i32.const 88)))))
