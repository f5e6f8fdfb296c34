#!/usr/bin/env bash
# Idempotent install of @elizaos/server@1.7.2 (used by tests/suite/elizaos.rs) into a cache dir outside
# the repo:  ${SESSIONCTL_ELIZAOS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/elizaos-1.7.2}
# Needs node (>= 20) and npm, and the npm registry. Prints the install dir on stdout (npm's output
# goes to stderr). Install scripts are skipped (--ignore-scripts): the server does not need them
# (bcrypt ships prebuilt binaries; esbuild's postinstall only checks its binary), and skipping
# them keeps the install from running third-party code. A re-run with the install in place
# does nothing. If .ci/elizaos/package-lock.json exists, it is used with `npm ci` (exact tree).
set -euo pipefail

version=1.7.2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${SESSIONCTL_ELIZAOS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/elizaos-$version}"
marker="$dir/.sessionctl-installed"
entry="$dir/node_modules/@elizaos/server/dist/index.js"

command -v node >/dev/null || { echo "install.sh: node not found" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 1; }

if [[ -f "$marker" && -f "$entry" && "$(cat "$marker")" == "@elizaos/server@$version" ]]; then
  echo "$dir"
  exit 0
fi

parent="$(dirname "$dir")"
mkdir -p "$parent"
# Serialise concurrent runs (two CI jobs sharing a cache) when flock is available.
if command -v flock >/dev/null; then
  exec 9>"$parent/.$(basename "$dir").lock"
  flock 9
  if [[ -f "$marker" && -f "$entry" ]]; then echo "$dir"; exit 0; fi
fi

# Install into a scratch dir next to the target, then move it into place: an interrupted
# install never leaves a half-filled $dir behind.
tmp="$(mktemp -d "$parent/.$(basename "$dir").tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
cat >"$tmp/package.json" <<JSON
{
  "name": "sessionctl-elizaos-server",
  "private": true,
  "description": "elizaOS server for sessionctl integration tests (.ci/elizaos)",
  "dependencies": { "@elizaos/server": "$version" }
}
JSON
start=$(date +%s)
npm_flags=(--no-audit --no-fund --ignore-scripts --no-update-notifier --loglevel=error)
if [[ -f "$here/package-lock.json" ]]; then
  cp "$here/package-lock.json" "$tmp/package-lock.json"
  (cd "$tmp" && npm ci "${npm_flags[@]}") >&2
else
  (cd "$tmp" && npm install "${npm_flags[@]}") >&2
fi
[[ -f "$tmp/node_modules/@elizaos/server/dist/index.js" ]] || { echo "install.sh: npm did not install @elizaos/server" >&2; exit 1; }
echo "@elizaos/server@$version" >"$tmp/.sessionctl-installed"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "install.sh: installed @elizaos/server@$version in $(( $(date +%s) - start )) s" >&2
echo "$dir"
