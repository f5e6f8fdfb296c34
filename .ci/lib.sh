# shellcheck shell=bash
# What the install scripts of .ci/ share (sourced by them, after `set -euo pipefail`). Each
# installs one pinned thing into a cache dir outside the sources, prints that dir on stdout
# (everything else goes to stderr), and does nothing when a marker in the dir, written last,
# says the same install is complete.

# Fails the install unless the command $1 is on PATH.
need() { command -v "$1" >/dev/null || { echo "install.sh: $1 not found" >&2; exit 1; }; }

# begin_install VAR NAME WANT FILE: sets `dir` (the value of the variable VAR, or NAME in the
# cache) and `want` (what the marker says of a complete install). Ends the script, printing
# $dir, when the install is there: FILE (relative to $dir) exists and the marker says WANT.
# Otherwise holds a lock beside $dir until the script ends (two CI jobs sharing a cache), when
# flock is available, and asks again: the other job may have installed it meanwhile.
begin_install() {
  local var="$1"
  dir="${!var:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/$2}"
  want="$3"
  local file="$4"
  installed() { [[ -f "$dir/$file" && "$(cat "$dir/.sessionctl-installed" 2>/dev/null)" == "$want" ]]; }
  if installed; then echo "$dir"; exit 0; fi
  local parent
  parent="$(dirname "$dir")"
  mkdir -p "$parent"
  if command -v flock >/dev/null; then
    exec 9>"$parent/.$(basename "$dir").lock"
    flock 9
    if installed; then echo "$dir"; exit 0; fi
  fi
  started=$(date +%s)
}

# venv_install VAR NAME LABEL FILE REQUIREMENTS: begin_install of a virtualenv of
# ${PYTHON:-python3} that holds exactly the requirements file REQUIREMENTS (--no-deps: the
# pinned tree, nothing resolved anew), its marker saying LABEL and that file's hash; then,
# since it is not there, makes it. A virtualenv records its own path, so it is built where it
# will live; the marker, written last, says it is complete, and an incomplete one is removed.
venv_install() {
  need "${PYTHON:-python3}"
  begin_install "$1" "$2" "$3 $(sha256sum "$5" | cut -d' ' -f1)" "$4"
  rm -rf "$dir"
  "${PYTHON:-python3}" -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$5" >&2
}

# Writes the marker into $1 (the install: $dir, or a scratch dir that then becomes $dir), and
# says how long the install took.
end_install() {
  echo "$want" >"$1/.sessionctl-installed"
  echo "install.sh: installed ${want%% *} in $(($(date +%s) - started)) s" >&2
}
