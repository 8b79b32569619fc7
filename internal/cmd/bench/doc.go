// Command bench times whole runs of mixbox side by side with the real
// Porter runtime, as issue 8's targets are stated: each runtime is
// /cnab/app/runtimes/porter-runtime in a chroot of its own, run as a CNAB
// driver runs it (`porter-runtime run -f /cnab/app/porter.yaml`, the action
// in CNAB_ACTION), in paired, interleaved runs; it prints the medians of wall
// time, CPU time and peak RSS, and their ratios against the targets:
//
//	bench -mixbox bin/mixbox -exec-native bin/mixins/exec/runtimes/exec-runtime \
//	    -porter-runtime "$PORTER_RUNTIME" -porter-exec "$PORTER_EXEC" -n 15
//
// scripts/bench-e2e.sh (run by `make bench`) builds and runs it. The cases:
//
//   - steps30: 30 exec steps of `true`, the cache filled by `mixbox
//     precompile` (Porter, mixbox wasm, mixbox native);
//   - hello-warm, hello-cold: examples/hello's install, precompiled, and with
//     an empty cache before every run;
//   - output200: one step printing 200 MiB with suppress-output and no
//     outputs;
//   - runsh: examples/hello/run.sh run twice with an empty user cache, as a
//     newcomer runs it (mixbox only: the second run should be warm).
//
// Peak RSS is the child's getrusage maxrss: the largest resident set of the
// runtime or of any process it waited for (a command, Porter's
// exec-runtime). CPU is user plus system time of the same tree.
//
// # Notes
//
// The chroots need root: bench re-executes itself in a private mount
// namespace, bind-mounts the host's /usr, /etc, /dev, /bin and /lib into
// every chroot, and the mounts end with it. Without root, or without
// -porter-runtime, Porter's side is skipped and mixbox runs under
// --cnab-root with MIXBOX_CACHE_DIR instead; wasm/native is always
// measured. Porter's binaries are never part of this repository: build them
// from getporter/porter (CGO_ENABLED=0 go build ./cmd/porter ./cmd/exec) and
// pass their paths. Wall times on a shared machine are noisy; the CPU
// column and the pairing (every iteration runs each side once, in a
// rotating order) are what keep the ratios stable.
package main
