#!/usr/bin/env bash
# Builds the fan-out benchmark's load client (pion/webrtc viewers) once per source version,
# into the same cache as the embedded database, and prints the binary's path.
# Called by bench/fanout-verified.ts; needs Go >= the version go.mod names (Go fetches the
# modules through the Go module proxy on the first build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${LECTERN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lectern}"
die() { printf '[viewers build] ERROR: %s\n' "$*" >&2; exit 1; }
command -v go >/dev/null || die "Go is not on PATH: install it as README.md says under \"Go for the embedded database\""
hash="$(cd "$here" && cat go.mod go.sum $(ls *.go | grep -v _test.go) build.sh | sha256sum | cut -c1-16)"
dir="$cache_root/fanout-viewers/$hash"
bin="$dir/viewers"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  printf '[viewers build] building the pion viewers (%s) into %s\n' "$hash" "$dir" >&2
  (cd "$here" && go build -trimpath -o "$bin.tmp" .) || die "go build failed in $here (see above)"
  mv "$bin.tmp" "$bin"
fi
printf '%s\n' "$bin"
