# The image the README's Kubernetes CronJob runs: `docker build -t sessionctl .`
# Stage 1 builds the release binary with the dependency versions of Cargo.lock (--locked).
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin sessionctl

# Stage 2: the binary and the CA certificates its TLS (rustls, verifying against the system's
# roots) needs, nothing else; an unprivileged user with no home, so the lock directory is
# passed (SESSIONCTL_LOCK_DIR) or the run says --no-lock, as the CronJob does.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/sessionctl /usr/local/bin/sessionctl
ENV SESSIONCTL_LOCK_DIR=/tmp/sessionctl
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/sessionctl"]
