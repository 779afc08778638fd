# syntax=docker/dockerfile:1
#
# Fabula's runner as a container image, for the recipes in deploy/kubernetes/ and for CI
# systems that run containers. Two stages: the `fabula` binary built in release mode,
# then a small Debian image with the binary, CA certificates (for HTTPS to providers) and
# this repository's project (fabula.yaml, dataset/, schema/) at /project.
#
#   docker build -t fabula .
#   docker run --rm -v "$PWD/results:/project/results" fabula run          # offline sim
#   docker run --rm -e OPENROUTER_API_KEY -v "$PWD/results:/project/results" fabula run
#
# To run your own project, mount it over /project (fabula.yaml, dataset/, results/).

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
# The workspace's manifests and sources: every member must be present for the lock file,
# and the core embeds schema/ and the engine its prompt templates at compile time.
COPY Cargo.toml Cargo.lock ./
COPY runner runner
COPY server server
COPY schema schema
RUN cargo build --release --locked -p fabula-cli \
    && install -m 0755 target/release/fabula /usr/local/bin/fabula

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: providers are reached over HTTPS, verified against the system's roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /project fabula
COPY --from=build /usr/local/bin/fabula /usr/local/bin/fabula
WORKDIR /project
COPY fabula.yaml ./
COPY dataset dataset
COPY schema schema
# results/ is where records go: mount a volume here (one per shard, see deploy/).
RUN mkdir results && chown fabula:fabula results
USER 10001:10001
ENTRYPOINT ["fabula"]
CMD ["run"]
