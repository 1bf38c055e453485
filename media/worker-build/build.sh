#!/usr/bin/env bash
# Builds mediasoup's worker from the sources inside its npm package, against
# Debian's libraries; the one download is libsrtp's source from a Debian mirror
# (see ../../README.md, "mediasoup worker").
#
# The result is cached outside the repository, keyed by the mediasoup version
# and a hash of this recipe, so fresh clones and `npm ci` reuse it. The binary
# is then copied to mediasoup's default path inside node_modules.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$root/node_modules/mediasoup"
target="$pkg/worker/out/Release/mediasoup-worker"
log() { printf '[worker] %s\n' "$*"; }
die() { printf '[worker] ERROR: %s\n' "$*" >&2; exit 1; }

[ -f "$pkg/package.json" ] || die "node_modules/mediasoup is missing: run npm install first"
version="$(node -p "require('$pkg/package.json').version")"
recipe_hash="$(cd "$here" && find . -type f ! -name '*.md' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
cache_root="${LECTERN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lectern}"
cache_dir="$cache_root/mediasoup-worker/$version-$recipe_hash"
cached="$cache_dir/mediasoup-worker"

install_cached() {
  mkdir -p "$(dirname "$target")"
  if ! cmp -s "$cached" "$target" 2>/dev/null; then
    cp "$cached" "$target.tmp" && mv "$target.tmp" "$target"
  fi
  chmod +x "$target"
}

if [ -x "$cached" ]; then
  install_cached
  log "skip: mediasoup $version worker cached at $cached"
  exit 0
fi

# One build at a time per cache (parallel set-ups would share the build directory);
# whoever waited finds the binary the other one built.
mkdir -p "$cache_root"
exec 9>"$cache_root/.worker-build.lock"
flock 9
if [ -x "$cached" ]; then
  install_cached
  log "skip: mediasoup $version worker was just built by another set-up"
  exit 0
fi

# Each entry: pkg-config module, then the Debian package that ships it.
required=(
  "openssl:libssl-dev" "libuv:libuv1-dev" "usrsctp:libusrsctp-dev"
  "absl_flat_hash_map:libabsl-dev" "flatbuffers:libflatbuffers-dev" "liburing:liburing-dev"
)
for entry in "${required[@]}"; do
  mod="${entry%%:*}"; deb="${entry##*:}"
  pkg-config --exists "$mod" || die "pkg-config cannot find '$mod': install the Debian package $deb"
  log "found $mod $(pkg-config --modversion "$mod")"
done
for tool in meson:meson ninja:ninja-build flatc:flatbuffers-compiler g++:g++ python3:python3; do
  command -v "${tool%%:*}" >/dev/null || die "'${tool%%:*}' is not on PATH: install the Debian package ${tool##*:}"
done

work="$cache_root/build/$version-$recipe_hash"
rm -rf "$work" && mkdir -p "$work"
log "building mediasoup $version worker in $work (about 5 minutes on 2 cores)"
cp -r "$pkg/worker" "$work/worker"
src="$work/worker"

# The wraps would download sources; a plain subprojects/<name>/ is used once its wrap is gone.
rm -f "$src"/subprojects/*.wrap
cp -r "$here/subprojects/." "$src/subprojects/"
for d in "$src"/subprojects/*/; do
  : > "$d/empty.c"
  cp "$here/meson_options.shared.txt" "$d/meson_options.txt"
done

# mediasoup's BIO callback answers 1 to every BIO_ctrl() on the write BIO, because it
# compares the operation to BIO_CB_RETURN instead of testing that flag. Debian's OpenSSL
# is built with kTLS, asks that BIO whether kTLS send is on, believes the 1, and leaves
# the DTLS write buffer unallocated: the worker segfaults on its first ServerHello.
# Upstream's bundled OpenSSL has no kTLS, which hides it. Test the flag instead.
bio_cb="$src/src/RTC/DtlsTransport.cpp"
if grep -q '(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1' "$bio_cb"; then
  sed -i 's/(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1/(operationType \& BIO_CB_RETURN) ? static_cast<long>(ret) : 1/' "$bio_cb"
  log "patched the DTLS BIO callback for OpenSSL builds with kTLS"
elif ! grep -q 'operationType & BIO_CB_RETURN' "$bio_cb"; then
  die "DtlsTransport.cpp changed: re-check the BIO callback patch in media/worker-build/build.sh"
fi

# The worker asks for meson >= 1.1.0 but uses nothing newer than 1.0 (Debian 12 ships 1.0.1).
meson_version="$(meson --version)"
if [ "$(printf '%s\n1.1.0\n' "$meson_version" | sort -V | head -n1)" != "1.1.0" ]; then
  log "relaxing meson_version for system meson $meson_version"
  sed -i "s/meson_version: '>= 1.1.0'/meson_version: '>= 1.0.0'/" "$src/meson.build"
fi

# libsrtp 2.5.0 from Debian's source, built against OpenSSL and linked in statically.
# Debian's libsrtp2 uses NSS, which sets up a cipher context per packet behind locks:
# a quarter of the worker's CPU when it fans one stream out to 300 viewers. Same
# upstream release as Debian 12's package; its Debian patches touch only tests and docs.
srtp_version="2.5.0"
srtp_sha256="8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09"
srtp_tarball="$cache_root/downloads/libsrtp2_$srtp_version.orig.tar.gz"
srtp_url="${DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/libs/libsrtp2/libsrtp2_$srtp_version.orig.tar.gz"
if ! echo "$srtp_sha256  $srtp_tarball" | sha256sum --check --status 2>/dev/null; then
  mkdir -p "$(dirname "$srtp_tarball")"
  log "downloading libsrtp $srtp_version source from $srtp_url"
  curl -fsSL --retry 3 -o "$srtp_tarball.tmp" "$srtp_url" || die "could not download $srtp_url (set DEBIAN_MIRROR to another Debian mirror)"
  echo "$srtp_sha256  $srtp_tarball.tmp" | sha256sum --check --status || die "libsrtp source checksum mismatch: $srtp_url"
  mv "$srtp_tarball.tmp" "$srtp_tarball"
fi
tar -xzf "$srtp_tarball" -C "$work"
srtp_prefix="$work/srtp-prefix"
(cd "$work/libsrtp-$srtp_version" \
  && meson setup build --buildtype release -Dcrypto-library=openssl -Ddefault_library=static \
       -Dtests=disabled -Ddoc=disabled -Dpcap-tests=disabled --prefix="$srtp_prefix" --libdir=lib \
  && ninja -C build install) > "$work/srtp.log" 2>&1 \
  || { tail -n 30 "$work/srtp.log" >&2; die "building libsrtp $srtp_version failed (full log: $work/srtp.log)"; }
export PKG_CONFIG_PATH="$srtp_prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
log "built libsrtp $(pkg-config --modversion libsrtp2) with OpenSSL (static)"

jobs="$(nproc)"
meson setup --buildtype release -Db_ndebug=true --wrap-mode=nodownload "$src/out" "$src" > "$work/setup.log" 2>&1 \
  || { tail -n 40 "$work/setup.log" >&2; die "meson setup failed (full log: $work/setup.log)"; }
log "meson setup done; compiling with $jobs jobs (ninja prints [done/total])"
meson compile -C "$src/out" -j "$jobs" flatbuffers-generator
meson compile -C "$src/out" -j "$jobs" mediasoup-worker 2>&1 | grep --line-buffered -E '^\[[0-9]+/[0-9]+\]|error|Error' \
  || true
[ -x "$src/out/mediasoup-worker" ] || die "the worker binary was not produced; rerun 'meson compile -C $src/out mediasoup-worker' to see the errors"

linked="$(ldd "$src/out/mediasoup-worker")"
if grep -qE 'libsrtp[23]' <<<"$linked"; then
  die "the worker links a shared libsrtp instead of the OpenSSL build"
fi
strip "$src/out/mediasoup-worker" || true
mkdir -p "$cache_dir"
cp "$src/out/mediasoup-worker" "$cached.tmp" && mv "$cached.tmp" "$cached"
rm -rf "$work"
install_cached
log "built $(du -h "$cached" | cut -f1) worker, cached at $cached"
