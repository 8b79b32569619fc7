;; denied: exec requests the policy refuses return E_DENIED (-3) and stage no
;; response (response_read is then E_NORESPONSE, -8). A path outside
;; /cnab/app, given absolute or relative, is refused even when its base name
;; is granted (abi-v1 §8.6); LD_PRELOAD is refused even when the policy lists
;; it; a dir outside /cnab/app is refused. The last request, plain echo, is
;; what the policy decides; the guest exits 1 when it is refused.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "response_read" (func $response_read (param i32 i32) (result i32)))
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
  (data (i32.const 1024) "{\"command\":\"/bin/echo\",\"args\":[\"abs\"]}\00")
  (data (i32.const 1152) "{\"command\":\"../../../../../../bin/echo\",\"args\":[\"escape\"]}\00")
  (data (i32.const 1280) "{\"command\":\"echo\",\"env\":{\"LD_PRELOAD\":\"/nowhere.so\"}}\00")
  (data (i32.const 1408) "{\"command\":\"echo\",\"dir\":\"/tmp\"}\00")
  (data (i32.const 1536) "{\"command\":\"echo\",\"args\":[\"granted\"],\"stream\":false}\00")
  (data (i32.const 2048) "exec_abs_path\00")
  (data (i32.const 2112) "read_after_denied\00")
  (data (i32.const 2176) "exec_relative_escape\00")
  (data (i32.const 2240) "exec_env_ld_preload\00")
  (data (i32.const 2304) "exec_dir_outside\00")
  (data (i32.const 2368) "exec_echo\00")
  (func $execs (param $p i32) (result i32)
    (call $exec (local.get $p) (call $strlen (local.get $p))))
  (func (export "_start")
    (local $rc i32)
    (call $report (i32.const 2048) (call $execs (i32.const 1024)))
    (call $report (i32.const 2112) (call $response_read (i32.const 8192) (i32.const 4096)))
    (call $report (i32.const 2176) (call $execs (i32.const 1152)))
    (call $report (i32.const 2240) (call $execs (i32.const 1280)))
    (call $report (i32.const 2304) (call $execs (i32.const 1408)))
    (local.set $rc (call $execs (i32.const 1536)))
    (call $report (i32.const 2368) (local.get $rc))
    (if (i32.lt_s (local.get $rc) (i32.const 0))
      (then (call $proc_exit (i32.const 1))))))
