;; response: the response slot (abi-v1 §3, §5, §8.1, §8.2). Needs a policy
;; granting echo, false and cat. Nothing staged is E_NORESPONSE (-8), even
;; with a bad buffer; a buffer smaller than the staged ExecResult is
;; E_TOOSMALL (-6), before E_FAULT, and keeps the slot; a buffer whose first
;; staged_len bytes leave memory is E_FAULT (-2) and keeps the slot; a cap
;; past the end of memory is fine when the staged bytes fit; success clears
;; the slot; the next exec replaces it; a non-zero exit is an ExecResult,
;; not an error. The ExecResults are outputs: echo_result, last_result,
;; false_result, cat_result.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "response_read" (func $response_read (param i32 i32) (result i32)))
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
  (data (i32.const 1024) "{\"command\":\"echo\",\"args\":[\"hello\"],\"stream\":false}\00")
  (data (i32.const 1152) "{\"command\":\"echo\",\"args\":[\"first\"],\"stream\":false}\00")
  (data (i32.const 1280) "{\"command\":\"echo\",\"args\":[\"second\"],\"stream\":false}\00")
  (data (i32.const 1408) "{\"command\":\"false\",\"stream\":false}\00")
  (data (i32.const 1536) "{\"command\":\"cat\",\"stdin\":\"fed through stdin\",\"stream\":false}\00")
  (data (i32.const 1664) "{\"command\":\"echo\",\"args\":[\"streamed-line\"]}\00")
  (data (i32.const 1792) "{\"command\":\"echo\",\"args\":[\"quiet-line\"],\"stream\":false}\00")
  (data (i32.const 1920) "echo_result\00")
  (data (i32.const 1952) "last_result\00")
  (data (i32.const 1984) "false_result\00")
  (data (i32.const 2016) "cat_result\00")
  (data (i32.const 2048) "read_none\00")
  (data (i32.const 2112) "read_none_bad_ptr\00")
  (data (i32.const 2176) "exec_echo_staged\00")
  (data (i32.const 2240) "read_too_small\00")
  (data (i32.const 2304) "read_too_small_bad_ptr\00")
  (data (i32.const 2368) "read_fault\00")
  (data (i32.const 2432) "read_fault_wrap\00")
  (data (i32.const 2496) "read_ok_is_len\00")
  (data (i32.const 2560) "read_after_ok\00")
  (data (i32.const 2624) "out_echo_result\00")
  (data (i32.const 2688) "read_last\00")
  (data (i32.const 2752) "read_false\00")
  (data (i32.const 2816) "read_cat\00")
  (data (i32.const 2880) "exec_streamed\00")
  (data (i32.const 2944) "exec_quiet\00")
  (func $execs (param $p i32) (result i32)
    (call $exec (local.get $p) (call $strlen (local.get $p))))
  ;; $keep reads the staged response into [8192, 16384) and sets it as the
  ;; output named at $name; it returns response_read's result.
  (func $keep (param $name i32) (result i32)
    (local $n i32)
    (local.set $n (call $response_read (i32.const 8192) (i32.const 8192)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then (drop (call $output_set (local.get $name) (call $strlen (local.get $name)) (i32.const 8192) (local.get $n)))))
    (local.get $n))
  (func (export "_start")
    (local $n i32) (local $at i32)
    (call $report (i32.const 2048) (call $response_read (i32.const 8192) (i32.const 4096)))
    (call $report (i32.const 2112) (call $response_read (i32.const -1) (i32.const 0)))
    (local.set $n (call $execs (i32.const 1024)))
    (call $report (i32.const 2176) (i32.gt_s (local.get $n) (i32.const 0)))
    (call $report (i32.const 2240) (call $response_read (i32.const 8192) (i32.sub (local.get $n) (i32.const 1))))
    (call $report (i32.const 2304) (call $response_read (i32.const -16) (i32.const 1)))
    (call $report (i32.const 2368) (call $response_read (i32.const 65532) (local.get $n)))
    (call $report (i32.const 2432) (call $response_read (i32.const -1) (local.get $n)))
    ;; the staged bytes end exactly at the end of memory; the cap goes far past it.
    (local.set $at (i32.sub (i32.const 65536) (local.get $n)))
    (call $report (i32.const 2496) (i32.eq (call $response_read (local.get $at) (i32.const -1)) (local.get $n)))
    (call $report (i32.const 2560) (call $response_read (i32.const 8192) (i32.const 8192)))
    (call $report (i32.const 2624) (call $output_set (i32.const 1920) (i32.const 11) (local.get $at) (local.get $n)))
    (drop (call $execs (i32.const 1152)))
    (drop (call $execs (i32.const 1280)))
    (call $report (i32.const 2688) (i32.gt_s (call $keep (i32.const 1952)) (i32.const 0)))
    (drop (call $execs (i32.const 1408)))
    (call $report (i32.const 2752) (i32.gt_s (call $keep (i32.const 1984)) (i32.const 0)))
    (drop (call $execs (i32.const 1536)))
    (call $report (i32.const 2816) (i32.gt_s (call $keep (i32.const 2016)) (i32.const 0)))
    (call $report (i32.const 2880) (i32.gt_s (call $execs (i32.const 1664)) (i32.const 0)))
    (call $report (i32.const 2944) (i32.gt_s (call $execs (i32.const 1792)) (i32.const 0)))))
