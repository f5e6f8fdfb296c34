#!/usr/bin/env bash
# Builds .ci/docker/Dockerfile with a real Docker engine, as the README's `docker build` does,
# for tests/suite/recipes.rs (the CronJob's pod run from that image). CI's machines reach the
# package registries but no image registry, and run no engine, so this script:
#  - starts a private dockerd (Debian's docker.io, installed with apt-get when missing), its
#    images and build cache kept outside the sources, in
#      ${SESSIONCTL_DOCKER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/docker}
#    and its sockets in /run/sessionctl-docker;
#  - makes the two images the Dockerfile starts FROM, when that engine has none by those names
#    made from this machine (stand-ins, labelled org.sessionctl.stand-in):
#      debian:<suite>-slim        debootstrap --variant=minbase <suite>, from Debian's archive;
#      rust:<version>-slim-<suite> that, with gcc, libc6-dev and ca-certificates as the official
#                                 image has them, this machine's Rust toolchain (rustc --print
#                                 sysroot), and the CA certificates this machine trusts beyond
#                                 Debian's (its egress may be TLS-intercepted). They stay in the
#                                 build stage: the runtime stage never starts FROM it;
#  - builds the Dockerfile unchanged with BuildKit (which reads Dockerfile.dockerignore),
#    --network=host so that its cargo reaches crates.io.
# Prints DOCKER_HOST=… and SESSIONCTL_IMAGE=… on stdout, for .ci/run to export; everything else
# goes to stderr. `build.sh stop` stops the private engine. Needs root (dockerd).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sources="$(cd "$here/../.." && pwd)"
dir="${SESSIONCTL_DOCKER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sessionctl/docker}"
run=/run/sessionctl-docker
mirror="${SESSIONCTL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
image="${SESSIONCTL_IMAGE:-sessionctl:ci}"
export DOCKER_HOST="unix://$run/docker.sock"
# Debian's client: it speaks BuildKit to its own engine without the buildx plugin, which a
# newer client on PATH may want and this machine may not have.
docker=/usr/bin/docker

[[ "$(id -u)" == 0 ]] || { echo "build.sh: needs root (dockerd)" >&2; exit 1; }

engine_up() { [[ -f "$run/pid" ]] && kill -0 "$(cat "$run/pid")" 2>/dev/null && "$docker" info >/dev/null 2>&1; }

if [[ "${1:-}" == stop ]]; then
  if [[ -f "$run/pid" ]]; then
    pid="$(cat "$run/pid")"
    kill "$pid" 2>/dev/null || true
    # dockerd stops its containerd and removes its pid file on the way out.
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  exit 0
fi

mkdir -p "$dir" "$run"
# One build at a time per cache. (Two CI jobs must not share one: the first to end stops the
# engine, and both tag the same image.)
exec 9>"$dir/.lock"
flock 9

# What this script runs: the engine and its client (docker.io), and debootstrap for the
# stand-ins (docker.io only suggests it, which apt never installs).
missing=()
command -v dockerd >/dev/null && [[ -x "$docker" ]] || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet.
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi

if ! engine_up; then
  # No bridge and no iptables rules: the builds and the tests' containers use the host's
  # network (loopback, where the emulator listens), and the machine's firewall stays as it is.
  setsid dockerd --data-root "$dir/data" --exec-root "$run/exec" -H "$DOCKER_HOST" \
    --pidfile "$run/pid" --bridge=none --iptables=false >"$dir/dockerd.log" 2>&1 </dev/null 9>&- &
  for _ in $(seq 600); do engine_up && break; sleep 0.1; done
  engine_up || { tail -20 "$dir/dockerd.log" >&2; echo "build.sh: dockerd did not start" >&2; exit 1; }
fi

# The images the stages start FROM: debian:<suite>-slim and rust:<version>-slim-<suite>.
from() { sed -n "s/^FROM \($1[^ ]*\).*/\1/p" "$here/Dockerfile"; }
debian="$(from debian:)"
rust="$(from rust:)"
suite="${debian#debian:}"
suite="${suite%-slim}"
[[ -n "$rust" && "$debian" == "debian:$suite-slim" && "$rust" == rust:*-slim-"$suite" ]] \
  || { echo "build.sh: expected FROM rust:<v>-slim-<suite> and debian:<suite>-slim in $here/Dockerfile" >&2; exit 1; }
label() { "$docker" image inspect -f '{{ index .Config.Labels "org.sessionctl.stand-in" }}' "$1" 2>/dev/null || true; }

work="$(mktemp -d "$dir/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

stamp="debootstrap --variant=minbase $suite $mirror"
if [[ "$(label "$debian")" != "$stamp" ]]; then
  echo "build.sh: making $debian ($stamp)" >&2
  debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >&2
  # What a slim image leaves out: the downloaded packages and the package lists.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  tar -C "$work/root" -c . | "$docker" import \
    --change "LABEL org.sessionctl.stand-in=\"$stamp\"" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$debian" >&2
  rm -rf "$work/root"
fi

sysroot="$(rustc --print sysroot)"
# The machine's extra CA certificates, if it has any (none is no error).
cas=(/usr/local/share/ca-certificates/*.crt)
[[ -e "${cas[0]}" ]] || cas=()
stamp="$debian; $(rustc -V); $(cat "${cas[@]}" </dev/null | sha256sum | cut -c1-16)"
if [[ "$(label "$rust")" != "$stamp" ]]; then
  echo "build.sh: making $rust ($stamp)" >&2
  mkdir -p "$work/rust/toolchain" "$work/rust/ca"
  # The toolchain without its documentation (share/), as rustup's minimal profile has it.
  cp -a "$sysroot/bin" "$sysroot/lib" "$sysroot/libexec" "$sysroot/etc" "$work/rust/toolchain/"
  ((${#cas[@]} == 0)) || cp "${cas[@]}" "$work/rust/ca/"
  cat >"$work/rust/Dockerfile" <<EOF
FROM $debian
COPY ca /usr/local/share/ca-certificates
RUN apt-get update \\
    && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
    && rm -rf /var/lib/apt/lists/*
COPY toolchain /usr/local/rust
ENV CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.sessionctl.stand-in="$stamp"
EOF
  DOCKER_BUILDKIT=1 "$docker" build --network=host -t "$rust" "$work/rust" >&2
fi

echo "build.sh: docker build -f .ci/docker/Dockerfile -t $image ." >&2
(cd "$sources" && DOCKER_BUILDKIT=1 "$docker" build --network=host -f .ci/docker/Dockerfile -t "$image" . >&2)
# Each build of changed sources leaves the last image untagged and its build stage (a release
# target/ of about a gigabyte) cached: the cache keeps the newest few, the rest goes.
"$docker" image prune -f >&2
"$docker" builder prune -f --keep-storage 3GB >&2
echo "DOCKER_HOST=$DOCKER_HOST"
echo "SESSIONCTL_IMAGE=$image"
echo "SESSIONCTL_DOCKER=$docker"
