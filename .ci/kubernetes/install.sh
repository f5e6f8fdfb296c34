#!/usr/bin/env bash
# Idempotent install of what tests/suite/recipes.rs checks the README's Kubernetes manifests
# with (check.py, beside this script), into a virtualenv outside the repo:
#   ${SESSIONCTL_KUBERNETES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/kubernetes-validate-1.37.0}
# No registry CI reaches ships a Kubernetes control plane (no kube-apiserver, kubelet, k3s or
# kind node image on PyPI, npm, crates.io or Debian), so the manifests are checked against the
# API's own JSON schemas: kubernetes-validate 1.37.0 bundles them for Kubernetes 1.25–1.37.
# Needs python3 (>= 3.9) with venv, and PyPI. Installs exactly requirements.txt with --no-deps.
# Prints the install dir on stdout (pip's output goes to stderr). A re-run with the install in
# place does nothing.
set -euo pipefail

version=1.37.0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${SESSIONCTL_KUBERNETES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/kubernetes-validate-$version}"
marker="$dir/.sessionctl-installed"
want="kubernetes-validate@$version $(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null || { echo "install.sh: $python not found" >&2; exit 1; }
installed() { [[ -f "$marker" && -x "$dir/bin/python" && "$(cat "$marker")" == "$want" ]]; }

if installed; then
  echo "$dir"
  exit 0
fi
parent="$(dirname "$dir")"
mkdir -p "$parent"
# Serialise concurrent runs (two CI jobs sharing a cache).
exec 9>"$parent/.$(basename "$dir").lock"
flock 9
if installed; then
  echo "$dir"
  exit 0
fi

# A virtualenv records its own path, so it is built where it will live; a marker written
# last says it is complete, and an incomplete one is removed first.
rm -rf "$dir"
"$python" -m venv "$dir" >&2
"$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt" >&2
"$dir/bin/python" -c 'import kubernetes_validate, yaml' \
  || { echo "install.sh: kubernetes-validate does not import" >&2; exit 1; }
echo "$want" >"$marker"
echo "$dir"
