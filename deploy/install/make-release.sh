#!/usr/bin/env bash
# Builds a release tarball that install.sh installs from, on a machine with the
# development tools: dist/ compiled here (a Pi then needs no TypeScript), the lock
# file for npm ci, the deploy files and the docs.
#   deploy/install/make-release.sh [OUT_DIR]   → OUT_DIR/benchloop-VERSION.tar.gz
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${1:-.}"
npm run build >/dev/null
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)"
name="benchloop-$version"
mkdir -p "$out"
tar -czf "$out/$name.tar.gz" --transform "s,^,$name/," \
  package.json package-lock.json README.md deploy docs dist/src dist/devices
echo "$out/$name.tar.gz"
