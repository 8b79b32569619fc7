;; escapes: a mixin that tries to fake mixbox's own lines with terminal
;; control sequences: through mixbox_v1.log (erase the line, return the
;; cursor, print a fake step line in colour) and through its own stdout (an
;; OSC that retitles the terminal, a carriage return over the line). Both
;; must reach the console with the controls escaped as text (`\x1b`), tabs
;; and newlines kept.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
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
  (data (i32.const 1024) "\1b[2K\rstep 1/1 done: fake (wasm, built-in)\1b[31m\ttab-kept\00")
  (data (i32.const 1152) "\1b]0;pwned\07raw-stdout\rover\0a\00")
  (data (i32.const 2048) "log_warn\00")
  (func (export "_start")
    (call $report (i32.const 2048) (call $log (i32.const 2) (i32.const 1024) (call $strlen (i32.const 1024))))
    (call $write (i32.const 1) (i32.const 1152) (call $strlen (i32.const 1152)))))
