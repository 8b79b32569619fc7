;; reactor: a reactor (abi-v1 §1a) that reports what each step sees, then
;; changes everything it can, so that a test can tell whether the next step
;; starts from the post-_initialize state.
;;
;; _initialize sets the mutable global to 100 and the memory cell at 0x100
;; to 7, grows the memory to 2 pages, logs "reactor initialized" and leaves
;; an exec response staged.
;;
;; mixbox_step sets outputs: "slot" (response_read first: -8 when the slot is
;; empty), "stdin" (its input) and "eof" (the length of one more read: 0),
;; "global", "cell", "pages", "newpage" (the first i32 of a page it grows:
;; 0), "rand" (8 random bytes) and "mono" (the monotonic clock). Then it
;; bumps the global and the cell, writes the new page, stages an exec
;; response, and acts on the first byte of its input: "t" traps, "x" calls
;; proc_exit(9), "l" loops forever, "c" returns 5, "o" opens porter.yaml on
;; preopen 3 and leaves it open (output "fd": the descriptor, or minus the
;; errno), "k" closes preopen 3, "g"
;; grows the memory to its maximum of 10 pages; anything else returns 0.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "mixbox_v1" "output_set" (func $output_set (param i32 i32 i32 i32) (result i32)))
  (import "mixbox_v1" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "mixbox_v1" "exec" (func $exec (param i32 i32) (result i32)))
  (import "mixbox_v1" "response_read" (func $response_read (param i32 i32) (result i32)))
  (memory (export "memory") 1 10)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 0x200) "slot")
  (data (i32.const 0x208) "stdin")
  (data (i32.const 0x210) "eof")
  (data (i32.const 0x218) "global")
  (data (i32.const 0x220) "cell")
  (data (i32.const 0x228) "pages")
  (data (i32.const 0x230) "newpage")
  (data (i32.const 0x238) "rand")
  (data (i32.const 0x240) "mono")
  (data (i32.const 0x248) "fd")
  (data (i32.const 0x250) "porter.yaml")
  (data (i32.const 0x260) "reactor initialized")
  (data (i32.const 0x700) "{\"command\":\"helm\",\"args\":[\"version\"]}")

  ;; $out sets output name (at $name, $len bytes) to the i32 $v.
  (func $out (param $name i32) (param $len i32) (param $v i32)
    (i32.store (i32.const 0x0) (local.get $v))
    (drop (call $output_set (local.get $name) (local.get $len) (i32.const 0x0) (i32.const 4))))

  (func $stage (drop (call $exec (i32.const 0x700) (i32.const 38))))

  (func (export "_initialize")
    (global.set $g (i32.const 100))
    (i32.store (i32.const 0x100) (i32.const 7))
    (drop (memory.grow (i32.const 1)))
    (drop (call $log (i32.const 1) (i32.const 0x260) (i32.const 19)))
    (call $stage))

  (func (export "mixbox_step") (result i32)
    (local $n i32) (local $total i32) (local $page i32)
    (call $out (i32.const 0x200) (i32.const 4) (call $response_read (i32.const 0x800) (i32.const 4096)))
    ;; stdin: read to EOF into 0x400, then once more
    (block $done
      (loop $more
        (i32.store (i32.const 0x600) (i32.add (i32.const 0x400) (local.get $total)))
        (i32.store (i32.const 0x604) (i32.sub (i32.const 256) (local.get $total)))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 0x600) (i32.const 1) (i32.const 0x608)))
        (local.set $n (i32.load (i32.const 0x608)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br $more)))
    (drop (call $output_set (i32.const 0x208) (i32.const 5) (i32.const 0x400) (local.get $total)))
    (i32.store (i32.const 0x600) (i32.const 0x500))
    (i32.store (i32.const 0x604) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 0x600) (i32.const 1) (i32.const 0x608)))
    (call $out (i32.const 0x210) (i32.const 3) (i32.load (i32.const 0x608)))
    (call $out (i32.const 0x218) (i32.const 6) (global.get $g))
    (call $out (i32.const 0x220) (i32.const 4) (i32.load (i32.const 0x100)))
    (call $out (i32.const 0x228) (i32.const 5) (memory.size))
    (local.set $page (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
    (call $out (i32.const 0x230) (i32.const 7) (i32.load (local.get $page)))
    (drop (call $random_get (i32.const 0x10) (i32.const 8)))
    (drop (call $output_set (i32.const 0x238) (i32.const 4) (i32.const 0x10) (i32.const 8)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0x20)))
    (drop (call $output_set (i32.const 0x240) (i32.const 4) (i32.const 0x20) (i32.const 8)))
    ;; change everything
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 0x100) (i32.add (i32.load (i32.const 0x100)) (i32.const 1)))
    (i32.store (local.get $page) (i32.const 0xaaaa))
    (call $stage)
    (if (i32.eq (i32.load8_u (i32.const 0x400)) (i32.const 0x74)) (then unreachable))
    (if (i32.eq (i32.load8_u (i32.const 0x400)) (i32.const 0x78)) (then (call $proc_exit (i32.const 9))))
    (if (i32.eq (i32.load8_u (i32.const 0x400)) (i32.const 0x6c)) (then (loop $forever (br $forever))))
    (if (i32.eq (i32.load8_u (i32.const 0x400)) (i32.const 0x63)) (then (return (i32.const 5))))
    (if (i32.eq (i32.load8_u (i32.const 0x400)) (i32.const 0x6f))
      (then
        (local.set $n (call $path_open (i32.const 3) (i32.const 0) (i32.const 0x250) (i32.const 11)
          (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0x30)))
        (call $out (i32.const 0x248) (i32.const 2)
          (select (i32.load (i32.const 0x30)) (i32.sub (i32.const 0) (local.get $n)) (i32.eqz (local.get $n))))))
    (if (i32.eq (i32.load8_u (i32.const 0x400)) (i32.const 0x6b))
      (then (drop (call $fd_close (i32.const 3)))))
    (if (i32.eq (i32.load8_u (i32.const 0x400)) (i32.const 0x67))
      (then (drop (memory.grow (i32.sub (i32.const 10) (memory.size))))))
    (i32.const 0)))
