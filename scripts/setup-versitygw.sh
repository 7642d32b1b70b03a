#!/usr/bin/env bash
# Puts versitygw into .tools/bin: an S3-compatible server (its posix backend keeps objects as
# files), for the vault's S3 store tests (test/harness/s3.ts). docker-compose.yml runs the same
# version (versity/versitygw). The only route is the Go module proxy: `go install` of its command
# at one version (about two minutes on 2 cores with a cold module cache). Idempotent: a binary
# of that version is kept.
#
# A failed build says so in one line and exits 0 with the binary absent: `npm start` and the
# other tests do not need it, and the S3 store tests then fail naming this script.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

VERSION="1.8.0" # docker-compose.yml runs the same version
MODULE="github.com/versity/versitygw"

if [ -x "$bin/versitygw" ] && "$bin/versitygw" --version 2>/dev/null | grep -qx "Version *: v$VERSION"; then
  echo "versitygw: present ($VERSION)"
  exit 0
fi

if ! command -v go >/dev/null; then
  echo "setup-versitygw: no Go toolchain, so no versitygw: the vault's S3 store tests cannot run"
  exit 0
fi

# Built into a folder of its own, then renamed into place, so that an interrupted build never
# leaves a half-written binary where the tests look for one.
tmp="$(mktemp -d "$root/.tools/versitygw-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
started=$(date +%s)
if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install \
  -ldflags "-X=main.Version=v$VERSION" "$MODULE/cmd/versitygw@v$VERSION" >"$tmp/build.log" 2>&1; then
  echo "setup-versitygw: go install of $MODULE@v$VERSION failed ($(tail -n 1 "$tmp/build.log" | sed "s/^[[:space:]]*//")): the vault's S3 store tests cannot run"
  exit 0
fi
seconds=$(( $(date +%s) - started ))
mv -f "$tmp/versitygw" "$bin/versitygw"
echo "versitygw: built from the Go module proxy, $MODULE/cmd/versitygw@v$VERSION ($seconds s)"
