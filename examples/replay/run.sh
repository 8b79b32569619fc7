#!/usr/bin/env sh
# Runs examples/replay's install end to end with mixbox, answering the helmlike
# mixin's helm and kubectl calls from helm.exec.yaml: no helm, kubectl or
# cluster is needed. The bundle is laid out as /cnab/app under a temporary
# root (--cnab-root), with the helmlike wasm mixin installed in it.
#   MIXBOX    the mixbox binary (default: bin/mixbox, from `make build`)
#   HELMLIKE  helmlike-runtime.wasm (default: examples/helmlike/bin/, from `make -C examples/helmlike wasm`)
#   ROOT      the CNAB root to use and keep (default: a temporary directory, removed)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mixbox=${MIXBOX:-$here/../../bin/mixbox}
helmlike=${HELMLIKE:-$here/../helmlike/bin/helmlike-runtime.wasm}
[ -x "$mixbox" ] || make -s -C "$here/../.." build
[ -f "$helmlike" ] || make -s -C "$here/../helmlike" wasm
if [ -z "${ROOT:-}" ]; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
else
  root=$ROOT
fi
mkdir -p "$root/cnab/app/mixins/helmlike/runtimes"
cp -R "$here/bundle/." "$root/cnab/app/"
cp "$helmlike" "$root/cnab/app/mixins/helmlike/runtimes/helmlike-runtime.wasm"
"$mixbox" run --cnab-root "$root" --action install --replay-exec "$here/helm.exec.yaml"
echo "--- outputs written to /cnab/app/outputs:"
for f in "$root"/cnab/app/outputs/*; do
  printf '%s: ' "$(basename "$f")"
  if [ "$(basename "$f")" = porter-state ]; then echo "(tar.gz state bag)"; else cat "$f"; echo; fi
done
