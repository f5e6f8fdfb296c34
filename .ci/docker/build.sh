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
# Prints DOCKER_HOST=…, SESSIONCTL_IMAGE=… and SESSIONCTL_DOCKER=… (the client) on stdout, for
# .ci/run to export; everything else goes to stderr. `build.sh stop` stops the private engine,
# and only it: the process its pid file names must be this script's dockerd (a pid file left by
# one that died is removed, and does not stop the next start). Needs root (dockerd).
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

# Whether the arguments `$1` (one a line) have `$2` followed by `$3`.
has_args() { [[ $'\n'"$1"$'\n' == *$'\n'"$2"$'\n'"$3"$'\n'* ]]; }
# The dockerd this script started, if the process its pid file names is still that: run as
# dockerd with this script's --pidfile. Prints its pid, and returns 0 when it keeps this
# cache's --data-root, 2 when another's (started with another SESSIONCTL_DOCKER_DIR), 1 when
# there is none: no pid file, or a stale one (its process gone, or its pid now another's).
engine() {
  local pid args
  pid="$(cat "$run/pid" 2>/dev/null)" && [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  # Its arguments, each ended by a NUL there; none for a zombie.
  args="$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
  [[ "${args%%$'\n'*}" =~ (^|/)dockerd$ ]] && has_args "$args" --pidfile "$run/pid" || return 1
  echo "$pid"
  has_args "$args" --data-root "$dir/data" || return 2
}
engine_up() { engine >/dev/null && "$docker" info >/dev/null 2>&1; }
other_cache() {
  echo "build.sh: dockerd (pid $1) on $run keeps another cache than $dir (another SESSIONCTL_DOCKER_DIR); run \`build.sh stop\` with that one" >&2
  exit 1
}

if [[ "${1:-}" == stop ]]; then
  pid="$(engine)" && status=0 || status=$?
  case $status in
    0)
      kill "$pid" 2>/dev/null || true
      # dockerd stops its containerd and removes its pid file on the way out; it gives
      # running containers 15 s to stop.
      for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
      echo "build.sh: dockerd (pid $pid) still runs 30 s after SIGTERM" >&2
      exit 1
      ;;
    2) other_cache "$pid" ;;
  esac
  if [[ -e "$run/pid" ]]; then
    echo "build.sh: removed $run/pid, which names no running dockerd of this script (stale)" >&2
    rm -f "$run/pid"
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
  (
    export DEBIAN_FRONTEND=noninteractive
    # docker.io's and containerd's maintainer scripts would start the system's own engine on
    # a machine with an init: a policy-rc.d that answers 101 (action forbidden) keeps every
    # service down during the install. One already there (as in container images) decides.
    policy=/usr/sbin/policy-rc.d
    if [[ ! -e "$policy" ]]; then
      trap 'rm -f "$policy"' EXIT
      printf '#!/bin/sh\n# build.sh: no service starts while it installs packages.\nexit 101\n' >"$policy"
      chmod 755 "$policy"
    fi
    # A fresh machine may have no package lists yet.
    apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
      || { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
  )
fi

# Waits up to 60 s for the engine to answer, while the process `$1` lives.
answers() {
  for _ in $(seq 600); do
    engine_up && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
pid="$(engine)" && status=0 || status=$?
if ((status == 0)); then
  # Already running: answering, or about to (one starting), or hung.
  answers "$pid" || { echo "build.sh: dockerd (pid $pid) runs but does not answer on $DOCKER_HOST; try \`build.sh stop\` first" >&2; exit 1; }
elif ((status == 2)); then
  other_cache "$pid"
else
  # dockerd refuses to start while its pid file names a live process, whoever's it is now.
  rm -f "$run/pid"
  # No bridge and no iptables rules: the builds and the tests' containers use the host's
  # network (loopback, where the emulator listens), and the machine's firewall stays as it is.
  setsid dockerd --data-root "$dir/data" --exec-root "$run/exec" -H "$DOCKER_HOST" \
    --pidfile "$run/pid" --bridge=none --iptables=false >"$dir/dockerd.log" 2>&1 </dev/null 9>&- &
  answers $! || { tail -20 "$dir/dockerd.log" >&2; echo "build.sh: dockerd did not start" >&2; exit 1; }
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
stand_in="$(cat <<EOF
FROM $debian
COPY ca /usr/local/share/ca-certificates
RUN apt-get update \\
    && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
    && rm -rf /var/lib/apt/lists/*
COPY toolchain /usr/local/rust
ENV CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
)"
# The toolchain without its documentation (share/), as rustup's minimal profile has it.
toolchain=(bin lib libexec etc)
digest() { sha256sum | cut -c1-16; }
# What goes into the stand-in, so that a change of any of it makes it anew: the image it
# starts FROM by ID (a new debootstrap makes a new one, where its tag stays), the toolchain by
# version (rustc -V names its commit) and by the names and sizes of the files copied (a
# component added or removed), the CA certificates, and its Dockerfile.
stamp="$("$docker" image inspect -f '{{.Id}}' "$debian"); $(rustc -V)"
stamp+=" $(cd "$sysroot" && find "${toolchain[@]}" -printf '%p %s\n' | LC_ALL=C sort | digest)"
stamp+="; CAs $(cat "${cas[@]}" </dev/null | digest); Dockerfile $(digest <<<"$stand_in")"
if [[ "$(label "$rust")" != "$stamp" ]]; then
  echo "build.sh: making $rust ($stamp)" >&2
  mkdir -p "$work/rust/toolchain" "$work/rust/ca"
  cp -a "${toolchain[@]/#/$sysroot/}" "$work/rust/toolchain/"
  ((${#cas[@]} == 0)) || cp "${cas[@]}" "$work/rust/ca/"
  printf '%s\nLABEL org.sessionctl.stand-in="%s"\n' "$stand_in" "$stamp" >"$work/rust/Dockerfile"
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
