#!/usr/bin/env bash
# Idempotent install of @elizaos/server@1.7.2 (used by tests/suite/elizaos.rs) into a cache dir outside
# the repo:  ${SESSIONCTL_ELIZAOS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/elizaos-1.7.2}
# Needs node (>= 20) and npm, and the npm registry. Prints the install dir on stdout (npm's output
# goes to stderr). Install scripts are skipped (--ignore-scripts): the server does not need them
# (bcrypt ships prebuilt binaries; esbuild's postinstall only checks its binary), and skipping
# them keeps the install from running third-party code. A re-run with the install in place
# does nothing. If .ci/elizaos/package-lock.json exists, it is used with `npm ci` (exact tree).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.ci/lib.sh
source "$here/../lib.sh"

version=1.7.2
need node
need npm
entry=node_modules/@elizaos/server/dist/index.js
# The marker names the lock file's hash too: a changed lock is another tree, installed anew.
lock="none"
if [[ -f "$here/package-lock.json" ]]; then
  lock="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
fi
begin_install SESSIONCTL_ELIZAOS_DIR "elizaos-$version" "@elizaos/server@$version $lock" "$entry"

# Install into a scratch dir next to the target, then move it into place: an interrupted
# install never leaves a half-filled $dir behind.
tmp="$(mktemp -d "$(dirname "$dir")/.$(basename "$dir").tmp.XXXXXX")"
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
npm_flags=(--no-audit --no-fund --ignore-scripts --no-update-notifier --loglevel=error)
if [[ -f "$here/package-lock.json" ]]; then
  cp "$here/package-lock.json" "$tmp/package-lock.json"
  (cd "$tmp" && npm ci "${npm_flags[@]}") >&2
else
  (cd "$tmp" && npm install "${npm_flags[@]}") >&2
fi
[[ -f "$tmp/$entry" ]] || { echo "install.sh: npm did not install @elizaos/server" >&2; exit 1; }
end_install "$tmp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "$dir"
