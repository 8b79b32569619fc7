#!/usr/bin/env bash
# Side by side, in one run: the wall time of `mixbox run` on examples/hello
# with the built-in wasm exec mixin (warm compile cache) and with the native
# exec-runtime, N runs each, interleaved; prints the means and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
mixbox=bin/mixbox
[ -x "$mixbox" ] || { echo "bench-e2e: run 'make build' first" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/cnab/app/mixins/exec/runtimes"
cp -R examples/hello/bundle/. "$root/cnab/app/"
cp bin/mixins/exec/runtimes/exec-runtime "$root/cnab/app/mixins/exec/runtimes/"
export MIXBOX_CACHE_DIR="$root/cache"
"$mixbox" precompile >/dev/null
now() { date +%s%N; }
wasm=0; native=0
for _ in $(seq "$N"); do
  t=$(now); "$mixbox" run --cnab-root "$root" --action install --prefer wasm >/dev/null 2>&1; wasm=$((wasm + $(now) - t))
  t=$(now); "$mixbox" run --cnab-root "$root" --action install --prefer native >/dev/null 2>&1; native=$((native + $(now) - t))
done
awk -v w="$wasm" -v n="$native" -v N="$N" 'BEGIN {
  printf "e2e: hello install (2 exec steps), %d runs each, warm cache\n", N
  printf "e2e: wasm   %.1f ms/run\n", w / N / 1e6
  printf "e2e: native %.1f ms/run\n", n / N / 1e6
  printf "e2e: wasm/native = %.2f\n", w / n
}'
