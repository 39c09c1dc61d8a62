# Multi-stage build of the one fluxscale binary (controller, agent, hint, simulate).
# The builder uses the same Go minor version as go.mod; the result is a static binary on
# distroless, running as the nonroot user (uid 65532), which the Deployment also requires.
FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so a source change does not re-download modules.
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY policy/ policy/
COPY metrics/ metrics/
COPY autoscaler/ autoscaler/
COPY cmd/ cmd/
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
    -ldflags "-s -w -X main.version=${VERSION}" \
    -o /out/fluxscale ./cmd/fluxscale

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fluxscale /usr/local/bin/fluxscale
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/fluxscale"]
CMD ["controller"]
