#!/usr/bin/env bash
# Side by side, in one run: whole `mixbox run` processes against the real
# Porter runtime, each as /cnab/app/runtimes/porter-runtime in a chroot,
# paired and interleaved, medians of wall time, CPU and peak RSS, and the
# ratios of issue 8's targets (internal/cmd/bench). Porter is measured only
# when PORTER_RUNTIME and PORTER_EXEC name its porter-runtime and
# exec-runtime (built outside this repository from getporter/porter:
# CGO_ENABLED=0 go build ./cmd/porter ./cmd/exec); wasm/native always is.
# Chroots need root; without it mixbox runs under --cnab-root.
#   N=15 CASES=steps30,hello-warm scripts/bench-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
for f in bin/mixbox bin/mixins/exec/runtimes/exec-runtime; do
  [ -x "$f" ] || { echo "bench-e2e: $f is missing: run 'make build' first" >&2; exit 1; }
done
"$GO" build -o bin/bench ./internal/cmd/bench
args=(-mixbox bin/mixbox -exec-native bin/mixins/exec/runtimes/exec-runtime -n "${N:-11}")
[ -n "${CASES:-}" ] && args+=(-cases "$CASES")
if [ -n "${PORTER_RUNTIME:-}" ] || [ -n "${PORTER_EXEC:-}" ]; then
  args+=(-porter-runtime "${PORTER_RUNTIME:?set PORTER_EXEC and PORTER_RUNTIME both}" -porter-exec "${PORTER_EXEC:?set PORTER_EXEC and PORTER_RUNTIME both}")
fi
exec bin/bench "${args[@]}"
