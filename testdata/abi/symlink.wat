;; symlink: symlinks cannot leave /cnab/app (abi-v1 §2: an os.Root-backed
;; mount). abi_test.go lays out link-outside -> a file outside the bundle,
;; link-etc -> /etc/passwd, dir-outside -> a directory outside the bundle and
;; link-inside -> porter.yaml. Opening through the first three, or through
;; "..", fails (a non-zero errno); link-inside opens (0). Whatever a
;; successful open reads is printed as "abi-read: ...", so a leak shows.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
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
  (data (i32.const 1024) "link-outside\00")
  (data (i32.const 1056) "link-etc\00")
  (data (i32.const 1088) "dir-outside/secret.txt\00")
  (data (i32.const 1120) "../../outside/secret.txt\00")
  (data (i32.const 1152) "link-inside\00")
  (data (i32.const 1184) "abi-read: ")
  (data (i32.const 1216) "\0a")
  (data (i32.const 2048) "open_link_outside\00")
  (data (i32.const 2112) "open_link_etc\00")
  (data (i32.const 2176) "open_dir_link\00")
  (data (i32.const 2240) "open_dotdot\00")
  (data (i32.const 2304) "open_link_inside\00")
  ;; $try opens the path at $p for reading, reports the errno under the name
  ;; at $name and prints up to 200 bytes of the file when it opened.
  (func $try (param $name i32) (param $p i32)
    (local $errno i32)
    (local.set $errno
      (call $path_open (i32.const 3) (i32.const 1) (local.get $p) (call $strlen (local.get $p))
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 64)))
    (call $report (local.get $name) (local.get $errno))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 80) (i32.const 8192))
        (i32.store (i32.const 84) (i32.const 200))
        (drop (call $fd_read (i32.load (i32.const 64)) (i32.const 80) (i32.const 1) (i32.const 88)))
        (call $write (i32.const 1) (i32.const 1184) (i32.const 10))
        (call $write (i32.const 1) (i32.const 8192) (i32.load (i32.const 88)))
        (call $write (i32.const 1) (i32.const 1216) (i32.const 1)))))
  (func (export "_start")
    (call $try (i32.const 2048) (i32.const 1024))
    (call $try (i32.const 2112) (i32.const 1056))
    (call $try (i32.const 2176) (i32.const 1088))
    (call $try (i32.const 2240) (i32.const 1120))
    (call $try (i32.const 2304) (i32.const 1152))))
