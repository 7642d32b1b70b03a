#!/usr/bin/env bash
# Puts the Temporal server and its SQL schema tool into .tools/bin (temporal-server and
# temporal-sql-tool), for the production-shaped deployment: a real server on PostgreSQL
# (local/temporal-server.ts, the vitest project `production`, docker-compose.yml's version).
# The only route is the Go module proxy: `go install` of the server's own commands at one
# version, whose go.mod has no `replace` line, so the module proxy alone can build them (v1.32.0:
# 5 min 36 s on 2 busy cores with its modules not yet cached); its go.mod asks for go 1.26.8 or
# newer. Idempotent: binaries of that version are kept.
#
# A failed build says so in one line and exits 0 with the binaries absent: `npm start` and the
# other test projects do not need them, and the production project then fails saying why (or
# is left out with SKIP_PRODUCTION_SHAPED=1).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

VERSION="1.32.0" # docker-compose.yml runs the same version (temporalio/server, temporalio/admin-tools)
MODULE="go.temporal.io/server"

has_version() { # <binary>: true when it is there and reports $VERSION
  [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q " $VERSION\$"
}

if has_version "$bin/temporal-server" && has_version "$bin/temporal-sql-tool"; then
  echo "temporal-server: present ($VERSION)"
  echo "temporal-sql-tool: present ($VERSION)"
  exit 0
fi

if ! command -v go >/dev/null; then
  echo "setup-temporal-server: no Go toolchain, so no Temporal server: the production-shaped tests cannot run"
  exit 0
fi

# Built into a folder of its own, then renamed into place, so that an interrupted build never
# leaves a half-written binary where the tests look for one.
tmp="$(mktemp -d "$root/.tools/temporal-server-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
started=$(date +%s)
if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install \
  "$MODULE/cmd/server@v$VERSION" "$MODULE/cmd/tools/sql@v$VERSION" >"$tmp/build.log" 2>&1; then
  echo "setup-temporal-server: go install of $MODULE@v$VERSION failed ($(tail -n 1 "$tmp/build.log" | sed "s/^[[:space:]]*//")): the production-shaped tests cannot run"
  exit 0
fi
seconds=$(( $(date +%s) - started ))
mv -f "$tmp/server" "$bin/temporal-server"
mv -f "$tmp/sql" "$bin/temporal-sql-tool"
echo "temporal-server: built from the Go module proxy, $MODULE/cmd/server@v$VERSION ($seconds s for both)"
echo "temporal-sql-tool: built from the Go module proxy, $MODULE/cmd/tools/sql@v$VERSION"
