#!/usr/bin/env bash
# Installs what Lectern needs on a Debian machine, skipping what is there.
#
#   bash scripts/setup.sh          what running needs (`npm start`, `npm run setup`)
#   bash scripts/setup.sh --test   that, plus what the tests and benchmarks need (`npm test`, `npm run bench`)
#   --env-file FILE                read MONGODB_URI, FERRETDB_BIN and LECTERN_CACHE_DIR from the file the
#                                  service reads (deploy/lectern.env.example), as Node does: the environment wins
#
# With MONGODB_URI (or FERRETDB_BIN) set, running needs no embedded database: FerretDB
# is not built and Go is not needed. The tests always use the embedded one.
# Idempotent: each step prints `skip:` when there is nothing to do.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
started=$SECONDS
log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

mode=run
env_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --test) mode=test ;;
    --env-file) env_file="${2:-}"; [ -n "$env_file" ] || die "--env-file needs a file"; shift ;;
    --env-file=*) env_file="${1#--env-file=}" ;;
    *) die "unknown argument '$1' (expected --test and/or --env-file FILE)" ;;
  esac
  shift
done
if [ -n "$env_file" ]; then
  [ -r "$env_file" ] || die "cannot read $env_file"
  # Parsed by Node's own parser, the one `node --env-file` uses.
  while IFS= read -r -d '' assignment; do export "$assignment"; done < <(node -e '
    const vars = require("node:util").parseEnv(require("node:fs").readFileSync(process.argv[1], "utf8"));
    for (const k of ["MONGODB_URI", "FERRETDB_BIN", "LECTERN_CACHE_DIR"])
      if (k in vars && !(k in process.env)) process.stdout.write(`${k}=${vars[k]}\0`);
  ' "$env_file")
fi
cache_root="${LECTERN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lectern}"

# --- what this run needs ----------------------------------------------------------------------
embedded=no
if [ "$mode" = test ] || { [ -z "${MONGODB_URI:-}" ] && [ -z "${FERRETDB_BIN:-}" ]; }; then embedded=yes; fi
if [ -n "${FERRETDB_BIN:-}" ]; then embedded=given; fi

ferret_src="server/store/ferretdb"
ferret_version="$(awk '$1=="require" && $2=="github.com/FerretDB/FerretDB" {print $3}' "$ferret_src/go.mod")"
go_needed="$(awk '$1=="go" {print $2; exit}' "$ferret_src/go.mod")"
ferret_hash="$(cat "$ferret_src"/go.mod "$ferret_src"/go.sum "$ferret_src"/*.go "$ferret_src"/build.sh "$ferret_src"/patches/*.patch \
  | sha256sum | cut -c1-16)"
ferret_dir="$cache_root/ferretdb/$ferret_version"
ferret_build=no
if [ "$embedded" = yes ] && ! { [ -x "$ferret_dir/ferretdb-embedded" ] && [ "$(cat "$ferret_dir/recipe" 2>/dev/null)" = "$ferret_hash" ]; }; then
  ferret_build=yes
fi

# --- Go, checked first: a missing or old Go stops set-up before anything is installed ---------
# "1.24.13" -> 102400013, so versions compare as numbers.
go_number() { local IFS=.; set -- $1; echo $(( 10#${1:-0} * 100000000 + 10#${2:-0} * 100000 + 10#${3:-0} )); }
no_go() {
  die "the embedded database (FerretDB $ferret_version) is built with Go >= $go_needed, and $1.
  Install Go as README.md says under \"Go for the embedded database\": the official tarball from
  https://go.dev/dl/, or Debian bookworm-backports' golang-1.23-go with GOTOOLCHAIN=auto, which fetches
  Go $go_needed through the Go module proxy. With MONGODB_URI set, Lectern needs no Go at all."
}
if [ "$ferret_build" = yes ]; then
  command -v go >/dev/null || no_go "Go is not on PATH"
  # Asked outside any module, so that the answer is the Go on PATH (or the one GOTOOLCHAIN names).
  go_have="$(cd / && go env GOVERSION 2>/dev/null)" || no_go "'go env GOVERSION' failed"
  go_toolchain="$(cd / && go env GOTOOLCHAIN 2>/dev/null || true)"
  have="${go_have#go}"; have="${have%%[!0-9.]*}"
  if [ "$(go_number "$have")" -ge "$(go_number "$go_needed")" ]; then
    log "Go $have builds FerretDB (needs >= $go_needed)"
  elif [ "$(go_number "$have")" -ge "$(go_number 1.21)" ] && [[ "$go_toolchain" == auto || "$go_toolchain" == *+auto ]]; then
    # Go 1.21 and later switch to the version a go.mod asks for, fetched from the module proxy.
    log "Go $have with GOTOOLCHAIN=$go_toolchain: the build fetches Go $go_needed through the Go module proxy"
  else
    no_go "found $go_have (GOTOOLCHAIN=${go_toolchain:-unset})"
  fi
fi

# --- Debian packages -------------------------------------------------------------------------
packages=(
  ffmpeg                                          # recording, RTP test sources, ffprobe
  poppler-utils                                   # slides: pdfinfo, pdftoppm, pdftotext render decks (issue 15)
  g++ make pkg-config python3 meson ninja-build   # the mediasoup worker build
  libuv1-dev libssl-dev libabsl-dev libusrsctp-dev curl
  flatbuffers-compiler libflatbuffers-dev liburing-dev
  libmimalloc2.0                                  # Node's malloc (npm start) and the media workers' (MEDIASOUP_WORKER_ALLOCATOR)
  fonts-dejavu-core                               # the certificate PDFs' Cyrillic font (DejaVuSans.ttf)
)
if [ "$embedded" != no ]; then
  packages+=(
    patch                                         # FerretDB's patches (server/store/ferretdb)
    sqlite3                                       # `npm run backup`: online snapshots of its SQLite files
  )
fi
if [ "$mode" = test ]; then
  packages+=(
    chromium chromium-driver                      # browser end-to-end tests
    fonts-noto-color-emoji                        # reactions drawn in the screenshots (issue 15)
    redis-server                                  # the Socket.IO adapter across nodes
    nginx openssl                                 # the HTTPS reverse-proxy test
    systemd                                       # systemd-analyze verifies deploy/lectern.service
    coturn                                        # the TURN relay test (a local turnserver)
    iproute2 iptables                             # network namespaces, tc and cuts for the weak-link tests
    libreoffice-impress-nogui                     # the PPTX deck test; at run time optional (README: Slides)
    gdb                                           # the soak bench asks glibc's malloc (Node's or a worker's) to return free pages
  )
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "skip: all ${#packages[@]} Debian packages ($mode) are installed"
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
# Running needs `dependencies` only (building the pages included); tests add `devDependencies`.
# A full install serves both, so `npm start` after `npm test` does not prune it.
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
full_stamp="node_modules/.lectern-lock-$lock_hash-full"
run_stamp="node_modules/.lectern-lock-$lock_hash-run"
if [ -f "$full_stamp" ] || { [ "$mode" = run ] && [ -f "$run_stamp" ]; }; then
  log "skip: node_modules matches package-lock.json"
else
  omit=()
  if [ "$mode" = run ]; then omit=(--omit=dev); fi
  log "installing npm dependencies (npm ci${omit[*]:+ ${omit[*]}})"
  # mediasoup's postinstall would try to download a prebuilt worker; this variable makes it skip.
  MEDIASOUP_WORKER_BIN="$root/node_modules/mediasoup/worker/out/Release/mediasoup-worker" \
    npm ci --no-audit --no-fund --loglevel=error "${omit[@]}"
  rm -f node_modules/.lectern-lock-*
  if [ "$mode" = run ]; then touch "$run_stamp"; else touch "$full_stamp"; fi
fi

# --- mediasoup worker ------------------------------------------------------------------------
bash media/worker-build/build.sh

# --- embedded database: FerretDB v1 on SQLite ------------------------------------------------
if [ "$embedded" = no ]; then
  log "skip: MONGODB_URI is set, no embedded database (FerretDB not built, Go not needed)"
elif [ "$embedded" = given ]; then
  log "skip: FERRETDB_BIN is set ($FERRETDB_BIN), FerretDB not built"
elif [ "$ferret_build" = no ]; then
  log "skip: FerretDB $ferret_version launcher cached at $ferret_dir"
else
  log "building FerretDB $ferret_version launcher (first time: a few minutes on 2 cores)"
  mkdir -p "$ferret_dir"
  bash "$ferret_src/build.sh" "$ferret_dir/ferretdb-embedded.tmp" \
    || die "building FerretDB failed (Go >= $go_needed and the Go module proxy are needed)"
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
