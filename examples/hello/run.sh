#!/usr/bin/env sh
# Runs examples/hello's install action end to end with mixbox: the bundle is
# laid out as /cnab/app under a temporary root (--cnab-root), so no container
# and no root are needed. The exec mixin is mixbox's built-in wasm build.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mixbox=${MIXBOX:-$here/../../bin/mixbox}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/cnab/app"
cp -R "$here/bundle/." "$root/cnab/app/"
"$mixbox" run --cnab-root "$root" --action "${1:-install}" --param name="${NAME:-newcomer}"
echo "--- outputs written to /cnab/app/outputs:"
for f in "$root"/cnab/app/outputs/*; do
  printf '%s: ' "$(basename "$f")"
  if [ "$(basename "$f")" = porter-state ]; then echo "(tar.gz state bag)"; else cat "$f"; echo; fi
done
