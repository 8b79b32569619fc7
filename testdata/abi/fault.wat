;; fault: every host function returns E_FAULT (-2) for a ptr/len pair that
;; lies outside the guest's one page of memory, including a pair whose
;; 32-bit sum wraps around (abi-v1 §8.1), and never traps. E_NORESPONSE comes
;; before E_FAULT for response_read, E_FAULT before E_INVAL (§8.2). A pair
;; ending exactly at the end of memory is in bounds.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "response_read" (func $response_read (param i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "mixbox_v1" "mask" (func $mask (param i32 i32) (result i32)))
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
  (data (i32.const 1024) "x")
  (data (i32.const 1030) "../x")
  (data (i32.const 2048) "exec_past\00")
  (data (i32.const 2112) "exec_wrap\00")
  (data (i32.const 2176) "exec_ptr_past\00")
  (data (i32.const 2240) "read_noresponse_first\00")
  (data (i32.const 2304) "out_name_past\00")
  (data (i32.const 2368) "out_value_wrap\00")
  (data (i32.const 2432) "out_fault_before_inval\00")
  (data (i32.const 2496) "log_past\00")
  (data (i32.const 2560) "log_edge\00")
  (data (i32.const 2624) "log_fault_before_inval\00")
  (data (i32.const 2688) "mask_wrap\00")
  (data (i32.const 2752) "mask_past\00")
  (data (i32.const 2816) "out_edge\00")
  (func (export "_start")
    ;; [65530, 65540) ends past the 65536 bytes of memory.
    (call $report (i32.const 2048) (call $exec (i32.const 65530) (i32.const 10)))
    ;; 0xffffffff + 2 is 1 in 32 bits: only 64-bit arithmetic catches it.
    (call $report (i32.const 2112) (call $exec (i32.const -1) (i32.const 2)))
    (call $report (i32.const 2176) (call $exec (i32.const 65537) (i32.const 0)))
    (call $report (i32.const 2240) (call $response_read (i32.const -1) (i32.const 100)))
    (call $report (i32.const 2304) (call $output_set (i32.const 65530) (i32.const 10) (i32.const 1024) (i32.const 1)))
    (call $report (i32.const 2368) (call $output_set (i32.const 1024) (i32.const 1) (i32.const -16) (i32.const 32)))
    ;; a bad name ("../x") and a value out of bounds: E_FAULT wins.
    (call $report (i32.const 2432) (call $output_set (i32.const 1030) (i32.const 4) (i32.const 65536) (i32.const 1)))
    (call $report (i32.const 2496) (call $log (i32.const 1) (i32.const 65536) (i32.const 1)))
    (call $report (i32.const 2560) (call $log (i32.const 1) (i32.const 65536) (i32.const 0)))
    ;; a bad level (9) and a message out of bounds: E_FAULT wins.
    (call $report (i32.const 2624) (call $log (i32.const 9) (i32.const 65536) (i32.const 1)))
    (call $report (i32.const 2688) (call $mask (i32.const -16) (i32.const 32)))
    (call $report (i32.const 2752) (call $mask (i32.const 65535) (i32.const 2)))
    ;; name "e" in the last byte of memory, an empty value at the very end.
    (i32.store8 (i32.const 65535) (i32.const 101))
    (call $report (i32.const 2816) (call $output_set (i32.const 65535) (i32.const 1) (i32.const 65536) (i32.const 0)))))
