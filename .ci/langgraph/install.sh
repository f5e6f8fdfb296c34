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
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.ci/lib.sh
source "$here/../lib.sh"

version=0.16.7
venv_install SESSIONCTL_LANGGRAPH_DIR "langgraph-$version" \
  "langgraph-api@$version" bin/langgraph "$here/requirements.txt"
[[ -x "$dir/bin/langgraph" ]] || { echo "install.sh: pip did not install langgraph-cli" >&2; exit 1; }
end_install "$dir"
echo "$dir"
