#!/usr/bin/env sh
set -eu
case "$1" in
  greet) echo "Hello, $2!" ;;
  goodbye) echo "Goodbye, $2!" ;;
  *) echo "unknown command $1" >&2; exit 1 ;;
esac
