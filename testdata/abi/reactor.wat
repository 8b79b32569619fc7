;; reactor: a reactor mixin (abi-v1 §1a), for multi-step bundles. Needs a
;; policy granting echo.
;;
;; _initialize reports init=1, sets the mutable global to 7 and the memory
;; cell at 2048 to 42, grows the memory to 2 pages, sets the output
;; "initialized" to "yes" and leaves an exec response staged. It runs once
;; per instance: "init" is reported once per run unless a step discards the
;; instance.
;;
;; mixbox_step reports what it sees: slot (response_read first: -8, the slot
;; is empty), eof (the length of a read after stdin's end: 0), global, cell,
;; pages, newpage (the first i32 of a page it grows: 0); prints its stdin as
;; "abi-stdin<<...>>", and sets the output "last_mode". Then it changes all
;; of it: bumps the global and the cell, writes the new page, stages an exec
;; response. Last, the character after "mode: " in its stdin says how the
;; step ends: o returns 0, f returns 3, x calls proc_exit(4), z calls
;; proc_exit(0), t traps, l loops forever, d opens porter.yaml and leaves it
;; open (reports fd), anything else returns 0.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "response_read" (func $response_read (param i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 16)
  (global $g (mut i32) (i32.const 0))
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
  (data (i32.const 1024) "{\"command\":\"echo\",\"args\":[\"staged\"],\"stream\":false}\00")
  (data (i32.const 1152) "init\00")
  (data (i32.const 1160) "slot\00")
  (data (i32.const 1168) "eof\00")
  (data (i32.const 1176) "global\00")
  (data (i32.const 1184) "cell\00")
  (data (i32.const 1192) "pages\00")
  (data (i32.const 1200) "newpage\00")
  (data (i32.const 1208) "fd\00")
  (data (i32.const 1216) "initialized")
  (data (i32.const 1232) "yes")
  (data (i32.const 1240) "last_mode")
  (data (i32.const 1256) "porter.yaml")
  (data (i32.const 1272) "abi-stdin<<")
  (data (i32.const 1284) ">>\n")
  (data (i32.const 1296) "mode: ")
  ;; 2048: the cell; 4096..6144: stdin; 6144: a second read.

  (func $stage
    (drop (call $exec (i32.const 1024) (call $strlen (i32.const 1024)))))

  (func (export "_initialize")
    (call $report (i32.const 1152) (i32.const 1))
    (global.set $g (i32.const 7))
    (i32.store (i32.const 2048) (i32.const 42))
    (drop (memory.grow (i32.const 1)))
    (drop (call $output_set (i32.const 1216) (i32.const 11) (i32.const 1232) (i32.const 3)))
    (call $stage))

  ;; $mode returns the byte after "mode: " in stdin[0, $n), or 0.
  (func $mode (param $n i32) (result i32)
    (local $i i32) (local $j i32)
    (block $none
      (loop $at
        (br_if $none (i32.gt_s (i32.add (local.get $i) (i32.const 7)) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $miss
          (loop $cmp
            (br_if $miss (i32.ne
              (i32.load8_u (i32.add (i32.const 4096) (i32.add (local.get $i) (local.get $j))))
              (i32.load8_u (i32.add (i32.const 1296) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $cmp (i32.lt_u (local.get $j) (i32.const 6))))
          (return (i32.load8_u (i32.add (i32.const 4096) (i32.add (local.get $i) (i32.const 6))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $at)))
    (i32.const 0))

  (func (export "mixbox_step") (result i32)
    (local $n i32) (local $total i32) (local $page i32) (local $m i32) (local $rc i32)
    (call $report (i32.const 1160) (call $response_read (i32.const 8192) (i32.const 4096)))
    (block $done
      (loop $more
        (i32.store (i32.const 112) (i32.add (i32.const 4096) (local.get $total)))
        (i32.store (i32.const 116) (i32.sub (i32.const 2048) (local.get $total)))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 112) (i32.const 1) (i32.const 120)))
        (local.set $n (i32.load (i32.const 120)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br $more)))
    (i32.store (i32.const 112) (i32.const 6144))
    (i32.store (i32.const 116) (i32.const 64))
    (drop (call $fd_read (i32.const 0) (i32.const 112) (i32.const 1) (i32.const 120)))
    (call $report (i32.const 1168) (i32.load (i32.const 120)))
    (call $write (i32.const 1) (i32.const 1272) (i32.const 11))
    (call $write (i32.const 1) (i32.const 4096) (local.get $total))
    (call $write (i32.const 1) (i32.const 1284) (i32.const 3))
    (call $report (i32.const 1176) (global.get $g))
    (call $report (i32.const 1184) (i32.load (i32.const 2048)))
    (call $report (i32.const 1192) (memory.size))
    (local.set $page (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
    (call $report (i32.const 1200) (i32.load (local.get $page)))
    (local.set $m (call $mode (local.get $total)))
    (i32.store8 (i32.const 1400) (local.get $m))
    (drop (call $output_set (i32.const 1240) (i32.const 9) (i32.const 1400) (i32.const 1)))
    ;; change everything a later step could see
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 2048) (i32.add (i32.load (i32.const 2048)) (i32.const 1)))
    (i32.store (local.get $page) (i32.const 0x5a5a))
    (call $stage)
    (if (i32.eq (local.get $m) (i32.const 0x66)) (then (return (i32.const 3))))         ;; f
    (if (i32.eq (local.get $m) (i32.const 0x78)) (then (call $proc_exit (i32.const 4)))) ;; x
    (if (i32.eq (local.get $m) (i32.const 0x7a)) (then (call $proc_exit (i32.const 0)))) ;; z
    (if (i32.eq (local.get $m) (i32.const 0x74)) (then unreachable))                     ;; t
    (if (i32.eq (local.get $m) (i32.const 0x6c)) (then (loop $forever (br $forever))))  ;; l
    (if (i32.eq (local.get $m) (i32.const 0x64))                                          ;; d
      (then
        (local.set $rc (call $path_open (i32.const 3) (i32.const 0) (i32.const 1256) (i32.const 11)
          (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 124)))
        (call $report (i32.const 1208)
          (select (i32.load (i32.const 124)) (i32.sub (i32.const 0) (local.get $rc)) (i32.eqz (local.get $rc))))))
    (i32.const 0)))
