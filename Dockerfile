# syntax=docker/dockerfile:1
# Build: docker build -t switchboard .
# Run:   docker run -p 8080:8080 -v switchboard-data:/data -e BOOOPLY_WEBHOOK_SECRET=… switchboard
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/switchboard . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/switchboard /usr/local/bin/switchboard
# The embedded default keeps its SQLite file (and generated key) here.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME ["/data"]
ENV SWITCHBOARD_DATABASE_URL=sqlite:/data/switchboard.db \
    SWITCHBOARD_LISTEN=0.0.0.0:8080
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/switchboard", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/switchboard"]
CMD ["serve"]
