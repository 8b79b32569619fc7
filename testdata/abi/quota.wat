;; quota: the per-step quotas of a policy with `execCalls: 2`, `outputs: 3`
;; and `outputBytes: 16` (abi-v1 §8.2, §8.4, §8.5). A value over 16 bytes on
;; its own is E_TOOBIG (-5); one that only overflows the running sum is
;; E_LIMIT (-7); replacing a value releases its old bytes and is not a new
;; output. An exec call that passes the length, bounds and JSON checks
;; counts, even when denied; the third one is E_LIMIT, before E_DENIED,
;; while E_TOOBIG, E_FAULT and E_INVAL still come first. Results are printed,
;; not set as outputs, to leave the quota to the checks. The outputs end as
;; a=1, b=123456789, c=yyyyyy, and no d.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
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
  (data (i32.const 1024) "a\00")
  (data (i32.const 1028) "b\00")
  (data (i32.const 1032) "c\00")
  (data (i32.const 1036) "d\00")
  (data (i32.const 1040) "12345678901234567\00")
  (data (i32.const 1072) "yyyyyyy\00")
  (data (i32.const 1088) "{\"command\":\"echo\"}\00")
  (data (i32.const 1120) "{\"command\":\00")
  (data (i32.const 2048) "out_a_8\00")
  (data (i32.const 2112) "out_b_17_over_cap\00")
  (data (i32.const 2176) "out_b_9_over_sum\00")
  (data (i32.const 2240) "out_a_replaced_by_1\00")
  (data (i32.const 2304) "out_b_9\00")
  (data (i32.const 2368) "out_c_1\00")
  (data (i32.const 2432) "out_d_over_count\00")
  (data (i32.const 2496) "out_c_6_reset\00")
  (data (i32.const 2560) "out_c_7_over_sum\00")
  (data (i32.const 2624) "exec_bad_json\00")
  (data (i32.const 2688) "exec_1\00")
  (data (i32.const 2752) "exec_2\00")
  (data (i32.const 2816) "exec_3_over_calls\00")
  (data (i32.const 2880) "exec_bad_json_after\00")
  (data (i32.const 2944) "exec_too_big_after\00")
  (data (i32.const 3008) "exec_fault_after\00")
  ;; $set sets the output named at $name to the first $n bytes of $val.
  (func $set (param $name i32) (param $val i32) (param $n i32) (result i32)
    (call $output_set (local.get $name) (i32.const 1) (local.get $val) (local.get $n)))
  (func $execs (param $p i32) (result i32)
    (call $exec (local.get $p) (call $strlen (local.get $p))))
  (func (export "_start")
    (call $report (i32.const 2048) (call $set (i32.const 1024) (i32.const 1040) (i32.const 8)))
    (call $report (i32.const 2112) (call $set (i32.const 1028) (i32.const 1040) (i32.const 17)))
    (call $report (i32.const 2176) (call $set (i32.const 1028) (i32.const 1040) (i32.const 9)))
    (call $report (i32.const 2240) (call $set (i32.const 1024) (i32.const 1040) (i32.const 1)))
    (call $report (i32.const 2304) (call $set (i32.const 1028) (i32.const 1040) (i32.const 9)))
    (call $report (i32.const 2368) (call $set (i32.const 1032) (i32.const 1072) (i32.const 1)))
    (call $report (i32.const 2432) (call $set (i32.const 1036) (i32.const 1072) (i32.const 1)))
    (call $report (i32.const 2496) (call $set (i32.const 1032) (i32.const 1072) (i32.const 6)))
    (call $report (i32.const 2560) (call $set (i32.const 1032) (i32.const 1072) (i32.const 7)))
    (call $report (i32.const 2624) (call $execs (i32.const 1120)))
    (call $report (i32.const 2688) (call $execs (i32.const 1088)))
    (call $report (i32.const 2752) (call $execs (i32.const 1088)))
    (call $report (i32.const 2816) (call $execs (i32.const 1088)))
    (call $report (i32.const 2880) (call $execs (i32.const 1120)))
    (call $report (i32.const 2944) (call $exec (i32.const 0) (i32.const 0x100001)))
    (call $report (i32.const 3008) (call $exec (i32.const 65530) (i32.const 10)))))
