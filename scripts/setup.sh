#!/usr/bin/env bash
# Installs everything Lectern needs on a Debian machine, skipping what is there.
# Both `npm start` and `npm test` run it; the second run takes seconds.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
started=$SECONDS
log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
cache_root="${LECTERN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lectern}"

# --- Debian packages -------------------------------------------------------------------------
packages=(
  ffmpeg                                          # recording, RTP test sources, ffprobe
  chromium chromium-driver                        # browser end-to-end tests
  redis-server                                    # the Socket.IO adapter across nodes (tests)
  g++ make pkg-config python3 meson ninja-build   # the mediasoup worker build
  patch                                           # FerretDB's patches (server/store/ferretdb)
  libuv1-dev libssl-dev libabsl-dev libusrsctp-dev curl
  flatbuffers-compiler libflatbuffers-dev liburing-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "skip: all ${#packages[@]} Debian packages are installed"
else
  log "installing Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and no sudo: install these packages first: ${missing[*]}"
    sudo="sudo"
  fi
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
fi

# --- npm dependencies ------------------------------------------------------------------------
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
stamp="node_modules/.lectern-lock-$lock_hash"
if [ -f "$stamp" ]; then
  log "skip: node_modules matches package-lock.json"
else
  log "installing npm dependencies (npm ci)"
  # mediasoup's postinstall would try to download a prebuilt worker; this variable makes it skip.
  MEDIASOUP_WORKER_BIN="$root/node_modules/mediasoup/worker/out/Release/mediasoup-worker" \
    npm ci --no-audit --no-fund --loglevel=error
  rm -f node_modules/.lectern-lock-* && touch "$stamp"
fi

# --- mediasoup worker ------------------------------------------------------------------------
bash media/worker-build/build.sh

# --- embedded database: FerretDB v1 on SQLite ------------------------------------------------
command -v go >/dev/null || die "Go is not on PATH: FerretDB v1.24.2 needs Go >= 1.24 (Debian 12's golang-go is too old)"
ferret_src="server/store/ferretdb"
ferret_version="$(awk '$1=="require" && $2=="github.com/FerretDB/FerretDB" {print $3}' "$ferret_src/go.mod")"
ferret_hash="$(cat "$ferret_src"/go.mod "$ferret_src"/go.sum "$ferret_src"/*.go "$ferret_src"/build.sh "$ferret_src"/patches/*.patch \
  | sha256sum | cut -c1-16)"
ferret_dir="$cache_root/ferretdb/$ferret_version"
if [ -x "$ferret_dir/ferretdb-embedded" ] && [ "$(cat "$ferret_dir/recipe" 2>/dev/null)" = "$ferret_hash" ]; then
  log "skip: FerretDB $ferret_version launcher cached at $ferret_dir"
else
  log "building FerretDB $ferret_version launcher (first time: a few minutes on 2 cores)"
  mkdir -p "$ferret_dir"
  bash "$ferret_src/build.sh" "$ferret_dir/ferretdb-embedded.tmp" \
    || die "building FerretDB failed (Go >= 1.24 and the Go module proxy are needed)"
  mv "$ferret_dir/ferretdb-embedded.tmp" "$ferret_dir/ferretdb-embedded"
  echo "$ferret_hash" > "$ferret_dir/recipe"
fi

# --- browser front end ------------------------------------------------------------------------
# Rebuilt when the web sources, the shared protocol, the Vite config or the dependencies change.
web_hash="$(find web -path web/dist -prune -o -type f -print | LC_ALL=C sort \
  | cat - <(printf '%s\n' server/protocol/*.ts vite.config.ts package-lock.json) \
  | xargs sha256sum | sha256sum | cut -c1-16)"
web_stamp="web/dist/.lectern-web-$web_hash"
if [ -f "$web_stamp" ]; then
  log "skip: web/dist matches the web sources"
else
  log "building the web front end into web/dist (vite)"
  node_modules/.bin/vite build --logLevel warn || die "building the web front end failed"
  touch "$web_stamp"
fi

log "done in $((SECONDS - started)) s"
