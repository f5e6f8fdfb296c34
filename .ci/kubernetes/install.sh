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
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.ci/lib.sh
source "$here/../lib.sh"

version=1.37.0
venv_install SESSIONCTL_KUBERNETES_DIR "kubernetes-validate-$version" \
  "kubernetes-validate@$version" bin/python "$here/requirements.txt"
"$dir/bin/python" -c 'import kubernetes_validate, yaml' \
  || { echo "install.sh: kubernetes-validate does not import" >&2; exit 1; }
end_install "$dir"
echo "$dir"
