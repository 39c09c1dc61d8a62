// The protobuf and gRPC code generators that `make proto` runs over
// metrics/external/externalscaler. Kept apart from the main module so the generators'
// versions are pinned here and never leak into the controller's dependencies.
module github.com/fluxscale/fluxscale/test/tools/protoc-gen

go 1.26.0

tool (
	google.golang.org/grpc/cmd/protoc-gen-go-grpc
	google.golang.org/protobuf/cmd/protoc-gen-go
)

require (
	google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.6.1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
