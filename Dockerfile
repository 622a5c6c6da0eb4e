# The service in an image: built with a layer of dependencies that survives changes to the code,
# run as an unprivileged user, with the scenarios beside it so `replay` needs no Rust on the host.
FROM rust:1-bookworm AS build
WORKDIR /src
# Dependencies first: this layer is rebuilt only when Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked && rm -rf src
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /usr/share/mash --shell /usr/sbin/nologin mash \
    && install -d -o mash -m 700 /var/lib/mash-keys
COPY --from=build /src/target/release/mash /usr/local/bin/mash
COPY scenarios /usr/share/mash/scenarios
WORKDIR /usr/share/mash
USER mash
ENV MASH_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["mash"]
CMD ["serve"]
