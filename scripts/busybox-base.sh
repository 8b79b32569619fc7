#!/bin/sh
# Makes a minimal base image from Debian's busybox-static (make deps installs
# it): /bin/busybox, a symlink per applet, /tmp, and root in /etc/passwd,
# written as an OCI image layout in OUT_DIR for `mixbox build --base oci:OUT_DIR`.
# The same busybox gives the same bytes (fixed times and owners, sorted).
#
# usage: scripts/busybox-base.sh OUT_DIR
set -eu
out=${1:?usage: scripts/busybox-base.sh OUT_DIR}
busybox=${BUSYBOX:-/bin/busybox}
if ! [ -x "$busybox" ]; then
  echo "busybox-base: $busybox not found; install busybox-static (make deps, or apt-get install busybox-static)" >&2
  exit 1
fi
if command -v ldd >/dev/null && ldd "$busybox" >/dev/null 2>&1; then
  echo "busybox-base: $busybox is dynamically linked; a base with nothing else needs busybox-static (apt-get install busybox-static)" >&2
  exit 1
fi
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "busybox-base: unsupported machine $(uname -m)" >&2; exit 1 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -s /bin/busybox "$root/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

(cd "$root" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=ustar \
  -cf "$work/layer.tar" $(ls -A))
gzip -n -9 <"$work/layer.tar" >"$work/layer.tar.gz"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { wc -c <"$1" | tr -d ' '; }
mkdir -p "$work/oci/blobs/sha256"
blob() { cp "$1" "$work/oci/blobs/sha256/$(sha "$1")"; }

diffid=$(sha "$work/layer.tar")
version=$("$root/bin/busybox" 2>/dev/null | head -n1 | cut -d' ' -f2)
printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/busybox-base.sh (busybox %s)"}]}' \
  "$arch" "$diffid" "$version" >"$work/config.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$(sha "$work/config.json")" "$(size "$work/config.json")" "$(sha "$work/layer.tar.gz")" "$(size "$work/layer.tar.gz")" >"$work/manifest.json"
blob "$work/layer.tar.gz"
blob "$work/config.json"
blob "$work/manifest.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"busybox"}}]}' \
  "$(sha "$work/manifest.json")" "$(size "$work/manifest.json")" "$arch" >"$work/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"

if [ -e "$out" ] && ! [ -f "$out/oci-layout" ]; then
  echo "busybox-base: $out exists and is not an OCI layout; remove it or pick another path" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$work/oci" "$out"
echo "busybox-base: wrote $out (linux/$arch, busybox $version, sha256:$(sha "$out/index.json" | cut -c1-12)…)"
