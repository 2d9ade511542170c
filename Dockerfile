# syntax=docker/dockerfile:1
#
# golive's container image: one static binary on distroless, entrypoint
# `golive`. It is the server (`serve`, the default command) and the image
# golive's GitHub Action runs (`action gate|smoke|watch|preflight|report`).
#
#   docker build --build-arg VERSION=v1.2.3 -t golive .
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=v1.2.3 -t golive .
#
# .github/workflows/release.yml builds and pushes it for every release tag.
# Docker does not run in this repository's CI; cmd/golive/static_test.go
# builds the binary with this file's `go build` flags (it reads them from
# here), checks that it is statically linked and that it starts and answers
# `golive healthcheck`, and checks the instructions of the final stage.

# The build stage runs on the builder's own platform and cross-compiles for
# the target ($TARGETOS/$TARGETARCH), so a multi-arch build needs no emulation.
FROM --platform=$BUILDPLATFORM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
# A static binary: modernc.org/sqlite is pure Go, so cgo is off. -trimpath
# keeps the builder's paths out, -s -w drops the symbol table and DWARF.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/golive ./cmd/golive
RUN mkdir /out/data

# distroless/static: CA certificates, /etc/passwd with root and nonroot
# (65532), tzdata; no shell, no package manager. golive also embeds the time
# zone database (time/tzdata), so go-live zones never depend on the image.
#
# Which user: this image's default user is root, on purpose. GitHub runs a
# Docker action as the image's user and an action cannot change it (action.yml
# has no `options`), and the runner creates the files behind GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY as its own user with mode 0644 — not writable by any
# other user. GitHub's "Dockerfile support for GitHub Actions" says: "Docker
# actions must be run by the default Docker user (root). Do not use the USER
# instruction in your Dockerfile". With `USER nonroot` the action could not
# write its outputs (EACCES on /github/file_commands/set_output_…).
#
# The server does not need root and should not run as root: run it as
# 65532:65532 (the image's nonroot user). deploy/kubernetes sets
# runAsUser/runAsNonRoot, deploy/docker-compose.yml sets `user:`, and the
# README's `docker run` passes --user. /data is owned by 65532, so a volume
# mounted there starts out writable for it.
FROM gcr.io/distroless/static-debian12 AS image
LABEL org.opencontainers.image.title="golive" \
      org.opencontainers.image.description="go-live checklists, Slack reminders and /golive deploys for GitHub" \
      org.opencontainers.image.source="https://github.com/golive-dev/golive"
COPY --from=build /out/golive /golive
COPY --from=build --chown=65532:65532 /out/data /data
# The working directory holds golive's state: the SQLite file golive.db (with
# no GOLIVE_DATABASE_URL) and the .env that first-run setup writes and that
# serve and healthcheck read. (A GitHub Action step runs with the workspace as
# its working directory instead; GitHub sets it.)
WORKDIR /data
VOLUME /data
EXPOSE 3000
# golive stops accepting requests on SIGTERM and finishes the work in flight
# within GOLIVE_SHUTDOWN_TIMEOUT (25s; docker stop waits 10s unless told
# `--stop-timeout 30`; deploy/ allows 30-35s).
STOPSIGNAL SIGTERM
# `golive healthcheck` asks GOLIVE_ADDR (default :3000) for /healthz; it reads
# the container's environment, so a changed GOLIVE_ADDR is followed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --start-interval=2s --retries=3 CMD ["/golive", "healthcheck"]
ENTRYPOINT ["/golive"]
CMD ["serve"]
