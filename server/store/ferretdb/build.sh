#!/usr/bin/env bash
# Builds Lectern's FerretDB launcher into the file named by $1: the pinned
# FerretDB module (go.mod, go.sum) with the patches under patches/ applied.
# The module cache is read-only, so the source is copied and the build points
# at the copy through a temporary go.mod; go.sum still verifies every download.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(realpath -m "$1")"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

cd "$here"
go mod download github.com/FerretDB/FerretDB
module_dir="$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)"
cp -R "$module_dir" "$work/FerretDB"
chmod -R u+w "$work/FerretDB"
for p in patches/*.patch; do
  patch --silent --forward -p1 -d "$work/FerretDB" < "$p" || { echo "ferretdb build: $p does not apply" >&2; exit 1; }
done

cp go.mod go.sum "$work/"
printf '\nreplace github.com/FerretDB/FerretDB => %s\n' "$work/FerretDB" >> "$work/go.mod"
go build -modfile="$work/go.mod" -trimpath -o "$out" .
