#!/usr/bin/env bash
# Idempotent install of the LangGraph Agent Server (used by tests/suite/langgraph.rs) into a
# virtualenv outside the repo:
#   ${SESSIONCTL_LANGGRAPH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/langgraph-0.16.7}
# Needs python3 (>= 3.11) with venv, and PyPI. Installs exactly .ci/langgraph/requirements.txt
# (langgraph-cli[inmem] 0.4.40, langgraph-api 0.16.7, langgraph-runtime-inmem 0.36.7,
# langgraph-sdk 0.4.14 and their pinned dependencies) with --no-deps, so the tree is the one
# the tests were written against. Prints the install dir on stdout (pip's output goes to
# stderr). A re-run with the install in place does nothing.
set -euo pipefail

version=0.16.7
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${SESSIONCTL_LANGGRAPH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/langgraph-$version}"
marker="$dir/.sessionctl-installed"
want="langgraph-api@$version $(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null || { echo "install.sh: $python not found" >&2; exit 1; }

if [[ -f "$marker" && -x "$dir/bin/langgraph" && "$(cat "$marker")" == "$want" ]]; then
  echo "$dir"
  exit 0
fi

parent="$(dirname "$dir")"
mkdir -p "$parent"
# Serialise concurrent runs (two CI jobs sharing a cache) when flock is available.
if command -v flock >/dev/null; then
  exec 9>"$parent/.$(basename "$dir").lock"
  flock 9
  if [[ -f "$marker" && -x "$dir/bin/langgraph" && "$(cat "$marker")" == "$want" ]]; then
    echo "$dir"
    exit 0
  fi
fi

# A virtualenv records its own path, so it is built where it will live; a marker written
# last says it is complete, and an incomplete one is removed first.
start=$(date +%s)
rm -rf "$dir"
"$python" -m venv "$dir" >&2
"$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps \
  -r "$here/requirements.txt" >&2
[[ -x "$dir/bin/langgraph" ]] || { echo "install.sh: pip did not install langgraph-cli" >&2; exit 1; }
echo "$want" >"$marker"
echo "install.sh: installed langgraph-api@$version in $(( $(date +%s) - start )) s" >&2
echo "$dir"
