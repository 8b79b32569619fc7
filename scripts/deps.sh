#!/usr/bin/env bash
# Installs the Debian packages mixbox's tests need, if they are missing:
# wabt (wat2wasm) for the WAT guests; clang, lld, wasi-libc and the wasm32
# compiler runtime for the C guests; busybox-static (a static /bin/busybox)
# for the invocation image tests' base image.
set -euo pipefail
need=()
command -v wat2wasm >/dev/null || need+=(wabt)
command -v clang >/dev/null || need+=(clang)
command -v wasm-ld >/dev/null || command -v wasm-ld-14 >/dev/null || need+=(lld)
[ -e /usr/include/wasm32-wasi/stdio.h ] || [ -d /usr/share/wasi-sysroot ] || need+=(wasi-libc)
ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev-wasm32)
if ! [ -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then need+=(busybox-static); fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "deps: missing ${need[*]}; install them as root: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
${SUDO:-} apt-get update -qq
${SUDO:-} apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
