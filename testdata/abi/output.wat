;; output: the ExecRequest additions for output nobody reads (abi-v1 §3).
;; Needs a policy granting echo and false. With raw_output the ExecResult has
;; empty stdout and stderr and their lengths, and the captured bytes are the
;; next payloads of the response slot, raw: a buffer smaller than them is
;; E_TOOSMALL (-6) and keeps them, then the slot is empty (E_NORESPONSE, -8:
;; no stderr came). The next exec drops what is left unread. With discard
;; the stream is not kept: stdout is "" and stdout_truncated true. A discard
;; of a stream that does not exist is E_INVAL (-1). The ExecResults and the
;; raw bytes are outputs: raw_result, raw_stdout, discard_result, next_result.
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
  (data (i32.const 1024) "{\"command\":\"echo\",\"args\":[\"hello\"],\"stream\":false,\"raw_output\":true}\00")
  (data (i32.const 1152) "{\"command\":\"echo\",\"args\":[\"gone\"],\"stream\":false,\"discard\":[\"stdout\"]}\00")
  (data (i32.const 1280) "{\"command\":\"echo\",\"args\":[\"left\"],\"stream\":false,\"raw_output\":true}\00")
  (data (i32.const 1408) "{\"command\":\"false\",\"stream\":false}\00")
  (data (i32.const 1536) "{\"command\":\"echo\",\"discard\":[\"stdin\"]}\00")
  (data (i32.const 1920) "raw_result\00")
  (data (i32.const 1952) "raw_stdout\00")
  (data (i32.const 1984) "discard_result\00")
  (data (i32.const 2016) "next_result\00")
  (data (i32.const 2048) "raw_exec\00")
  (data (i32.const 2112) "raw_read_json\00")
  (data (i32.const 2176) "raw_too_small\00")
  (data (i32.const 2240) "raw_read_stdout\00")
  (data (i32.const 2304) "raw_then_empty\00")
  (data (i32.const 2368) "discard_read\00")
  (data (i32.const 2432) "next_read\00")
  (data (i32.const 2496) "next_then_empty\00")
  (data (i32.const 2560) "discard_bad_stream\00")
  (func $execs (param $p i32) (result i32)
    (call $exec (local.get $p) (call $strlen (local.get $p))))
  ;; $keep reads the next payload into 8192.. and sets it as output $name.
  (func $keep (param $name i32) (result i32)
    (local $n i32)
    (local.set $n (call $response_read (i32.const 8192) (i32.const 8192)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then (drop (call $output_set (local.get $name) (call $strlen (local.get $name)) (i32.const 8192) (local.get $n)))))
    (local.get $n))
  (func (export "_start")
    (local $n i32)
    (local.set $n (call $execs (i32.const 1024)))
    (call $report (i32.const 2048) (i32.gt_s (local.get $n) (i32.const 0)))
    (call $report (i32.const 2112) (i32.eq (call $keep (i32.const 1920)) (local.get $n)))
    (call $report (i32.const 2176) (call $response_read (i32.const 8192) (i32.const 5)))
    (call $report (i32.const 2240) (call $keep (i32.const 1952)))
    (call $report (i32.const 2304) (call $response_read (i32.const 8192) (i32.const 8192)))
    (drop (call $execs (i32.const 1152)))
    (call $report (i32.const 2368) (i32.gt_s (call $keep (i32.const 1984)) (i32.const 0)))
    (drop (call $execs (i32.const 1280)))
    (drop (call $response_read (i32.const 8192) (i32.const 8192)))
    (drop (call $execs (i32.const 1408)))
    (call $report (i32.const 2432) (i32.gt_s (call $keep (i32.const 2016)) (i32.const 0)))
    (call $report (i32.const 2496) (call $response_read (i32.const 8192) (i32.const 8192)))
    (call $report (i32.const 2560) (call $execs (i32.const 1536)))))
