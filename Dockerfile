# mailadvisor serve in a container: a static binary (no libc), run as a
# non-root user on a distroless base (no shell, no package manager).
#
#   docker build -t mailadvisor .
#   docker run -p 8080:8080 -v "$PWD/domains:/etc/mailadvisor/domains:ro" mailadvisor
#
# Health: GET /healthz (alive) and /readyz (ready for traffic); see
# deploy/kubernetes for probes, a Service and an autoscaler.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mailadvisor ./cmd/mailadvisor

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mailadvisor /usr/local/bin/mailadvisor
USER nonroot:nonroot
# A soft heap limit under a small container's memory (the rate limit's
# table is bounded by --rate-memory-mb, 8 MiB): the collector works harder
# before the kernel kills the process. Override it with the container's
# own limit: about three quarters of it.
ENV GOMEMLIMIT=48MiB
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/mailadvisor", "serve", "--listen", ":8080", "--domain-dir", "/etc/mailadvisor/domains", "--log-format", "json"]
