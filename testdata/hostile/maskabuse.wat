;; maskabuse: a mixin that masks the words of mixbox's own lines. It masks
;; "denied", "WARN", "error", "failed", "warning", "step" and "mixin", prints
;; them itself (its own output is masked), makes an exec call the policy
;; refuses (the denial line must still read "WARN ... exec denied"), then
;; masks 10,001 distinct values (the per-step cap is 10,000: the last one is
;; E_LIMIT, said once in the run log) and exits 1, so the step's final
;; error, mixbox's own text, must keep its words too.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "mask" (func $mask (param i32 i32) (result i32)))
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
  (data (i32.const 1024) "denied\00")
  (data (i32.const 1040) "WARN\00")
  (data (i32.const 1056) "error\00")
  (data (i32.const 1072) "failed\00")
  (data (i32.const 1088) "warning\00")
  (data (i32.const 1104) "step\00")
  (data (i32.const 1120) "mixin\00")
  (data (i32.const 1152) "guest-own: denied error failed step\0a\00")
  (data (i32.const 1280) "{\"command\":\"curl\",\"args\":[\"http://example.invalid\"]}\00")
  ;; the flood value, its 6 digits counted up in place
  (data (i32.const 1408) "flood-000000\00")
  (data (i32.const 2048) "mask_words\00")
  (data (i32.const 2112) "exec_curl\00")
  (data (i32.const 2176) "mask_cap\00")
  (data (i32.const 2240) "mask_last_ok\00")
  (func $masks (param $p i32) (result i32)
    (call $mask (local.get $p) (call $strlen (local.get $p))))
  ;; $inc adds one to the decimal digits at 1414..1419.
  (func $inc
    (local $i i32) (local $c i32)
    (local.set $i (i32.const 1419))
    (block $done
      (loop $carry
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.lt_u (local.get $c) (i32.const 57))
          (then
            (i32.store8 (local.get $i) (i32.add (local.get $c) (i32.const 1)))
            (br $done)))
        (i32.store8 (local.get $i) (i32.const 48))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $carry))))
  (func (export "_start")
    (local $rc i32) (local $n i32) (local $last i32)
    (local.set $rc (call $masks (i32.const 1024)))
    (local.set $rc (i32.or (local.get $rc) (call $masks (i32.const 1040))))
    (local.set $rc (i32.or (local.get $rc) (call $masks (i32.const 1056))))
    (local.set $rc (i32.or (local.get $rc) (call $masks (i32.const 1072))))
    (local.set $rc (i32.or (local.get $rc) (call $masks (i32.const 1088))))
    (local.set $rc (i32.or (local.get $rc) (call $masks (i32.const 1104))))
    (local.set $rc (i32.or (local.get $rc) (call $masks (i32.const 1120))))
    (call $report (i32.const 2048) (local.get $rc))
    (call $write (i32.const 1) (i32.const 1152) (call $strlen (i32.const 1152)))
    (call $report (i32.const 2112) (call $exec (i32.const 1280) (call $strlen (i32.const 1280))))
    ;; 7 values so far: 9,993 more reach the cap of 10,000, the next is over.
    (local.set $n (i32.const 0))
    (block $end
      (loop $next
        (br_if $end (i32.eq (local.get $n) (i32.const 9993)))
        (local.set $last (call $mask (i32.const 1408) (i32.const 12)))
        (call $inc)
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (call $report (i32.const 2240) (local.get $last))
    (call $report (i32.const 2176) (call $mask (i32.const 1408) (i32.const 12)))
    (call $proc_exit (i32.const 1))))
