#!/usr/bin/env bash
# The image of .ci/docker/Dockerfile as far as a machine without a Docker engine can make it,
# for tests/suite/recipes.rs (the CronJob run in it): its runtime stage's base, Debian bookworm
# (debootstrap --variant=minbase: debian:bookworm-slim is a minimal bookworm), with that
# stage's own RUN lines run in it as the Dockerfile writes them. The test copies the binary to
# where COPY puts it and runs it as the image's USER with its ENV. Stage 1's build command is
# `cargo build`'s own, on the host. Cached outside the sources, made again when those RUN
# lines change:
#   ${SESSIONCTL_IMAGE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/image-root-bookworm}
# Needs root (debootstrap, chroot) and Debian's archive (SESSIONCTL_DEBIAN_MIRROR, by default
# http://deb.debian.org/debian); installs debootstrap with apt-get when it is missing. Prints
# the root on stdout; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${SESSIONCTL_IMAGE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/image-root-bookworm}"
mirror="${SESSIONCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# The RUN lines of the stage that starts `FROM debian:`, continuation lines joined.
runs="$(awk '/^FROM debian:/ { s = 1; next } /^FROM / { s = 0 } s' "$here/Dockerfile" \
  | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | sed -n 's/^RUN //p')"
[[ -n "$runs" ]] || { echo "root.sh: no RUN line in the runtime stage of $here/Dockerfile" >&2; exit 1; }
stamp="bookworm minbase; $runs"
marker="$dir/.sessionctl-root"

# Only root can chroot into it, so only root is handed one (made or cached).
[[ "$(id -u)" == 0 ]] || { echo "root.sh: needs root (debootstrap, chroot)" >&2; exit 1; }

if [[ -f "$marker" && "$(cat "$marker")" == "$stamp" ]]; then
  echo "$dir"
  exit 0
fi
if ! command -v debootstrap >/dev/null; then
  # A fresh machine may have no package lists yet.
  apt-get install -y debootstrap >&2 || { apt-get update >&2 && apt-get install -y debootstrap >&2; }
fi

parent="$(dirname "$dir")"
mkdir -p "$parent"
# Serialise concurrent runs (two CI jobs sharing a cache); the second finds the root made.
exec 9>"$parent/.$(basename "$dir").lock"
flock 9
if [[ -f "$marker" && "$(cat "$marker")" == "$stamp" ]]; then
  echo "$dir"
  exit 0
fi
# Made next to its place and moved there: an interrupted run leaves no half-made root.
tmp="$(mktemp -d "$parent/.$(basename "$dir").tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
debootstrap --variant=minbase bookworm "$tmp" "$mirror" >&2
# The RUN lines fetch packages by name; a machine without a resolv.conf may resolve otherwise.
cp -L /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
while IFS= read -r line; do
  echo "root.sh: RUN $line" >&2
  chroot "$tmp" /bin/sh -c "$line" >&2
done <<<"$runs"
printf '%s' "$stamp" >"$tmp/.sessionctl-root"
rm -rf "$dir"
mv -T "$tmp" "$dir"
trap - EXIT
echo "$dir"
