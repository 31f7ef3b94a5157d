# syntax=docker/dockerfile:1
#
# Commons Directory: one static binary in a minimal image, running as a
# non-root user, with its SQLite database on a volume.
#
#   docker build -t commonsd .
#   docker run -p 8080:8080 -v commonsd-data:/data \
#     -e COMMONSD_SERVER_BASE_URL=https://commons.example.eu commonsd

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/commonsd ./cmd/commonsd \
 && mkdir -p /out/data

# distroless/static: CA certificates, tzdata, /etc/passwd with "nonroot"
# (65532), no shell. modernc.org/sqlite is pure Go, so nothing else is needed.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/commonsd /commonsd
COPY --from=build --chown=65532:65532 /out/data /data
COPY config.example.toml /etc/commonsd/config.example.toml
USER 65532:65532
ENV COMMONSD_SERVER_LISTEN=0.0.0.0:8080 \
    COMMONSD_STORE_PATH=/data/commons.db \
    COMMONSD_LOG_FORMAT=json \
    COMMONSD_DEMO_LOAD_WHEN_EMPTY=false
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/commonsd", "healthcheck"]
ENTRYPOINT ["/commonsd"]
CMD ["serve"]
