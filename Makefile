# Developer and CI entry points. Kubernetes test binaries are built from the pinned tool
# modules under test/tools (see DESIGN.md "Test infrastructure"), never downloaded.

BIN := $(CURDIR)/bin
# Tests find the binaries here: test/localcluster reads FLUXSCALE_BIN, envtest reads
# KUBEBUILDER_ASSETS.
TEST_ENV := FLUXSCALE_BIN=$(BIN) KUBEBUILDER_ASSETS=$(BIN)

# A binary is rebuilt only when its tool module or the build script changes.
ETCD_DEPS := test/tools/etcd/go.mod test/tools/etcd/go.sum test/tools/build-tool.sh
KUBE_DEPS := test/tools/kube/go.mod test/tools/kube/go.sum test/tools/build-tool.sh
KWOK_DEPS := test/tools/kwok/go.mod test/tools/kwok/go.sum test/tools/build-tool.sh
HELM_DEPS := test/tools/helm/go.mod test/tools/helm/go.sum test/tools/build-tool.sh
PROMTOOL_DEPS := test/tools/promtool/go.mod test/tools/promtool/go.sum test/tools/build-tool.sh
# Only these kwok stages: pod-complete is left out so pods keep running.
KWOK_STAGES := node/fast/node-initialize.yaml pod/fast/pod-ready.yaml pod/fast/pod-delete.yaml

TOOL_BINS := $(BIN)/etcd $(BIN)/kube-apiserver $(BIN)/kube-controller-manager $(BIN)/kwok \
	$(BIN)/kwok-stages/.stamp $(BIN)/flux-core/bin/flux $(BIN)/flux-operator/manager \
	$(BIN)/helm $(BIN)/promtool

.PHONY: tools generate manifests proto vet fmt-check test bench demo build docker-build

tools: $(TOOL_BINS)
	@echo "tools ready in $(BIN)"

# After the first build the Go build cache makes rebuilds quick (about a minute each).
$(BIN)/etcd: $(ETCD_DEPS)
	@mkdir -p $(BIN)
	@test/tools/build-tool.sh $@ test/tools/etcd go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 \
		"cold build ~2 min on 2 cores"

$(BIN)/kube-apiserver: $(KUBE_DEPS)
	@mkdir -p $(BIN)
	@test/tools/build-tool.sh $@ test/tools/kube k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes \
		"cold build ~5-10 min on 2 cores"

$(BIN)/kube-controller-manager: $(KUBE_DEPS)
	@mkdir -p $(BIN)
	@test/tools/build-tool.sh $@ test/tools/kube k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes \
		"~3-5 min more after kube-apiserver"

$(BIN)/kwok: $(KWOK_DEPS)
	@mkdir -p $(BIN)
	@test/tools/build-tool.sh $@ test/tools/kwok sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok \
		"cold build ~2-3 min on 2 cores"

$(BIN)/helm: $(HELM_DEPS)
	@mkdir -p $(BIN)
	@test/tools/build-tool.sh $@ test/tools/helm helm.sh/helm/v4/cmd/helm helm.sh/helm/v4 \
		"cold build ~2-3 min on 2 cores"

# remove_all_sd leaves out Prometheus' cloud service discovery plugins, which promtool's
# rule checks never use; they are most of its build time.
$(BIN)/promtool: $(PROMTOOL_DEPS)
	@mkdir -p $(BIN)
	@GOFLAGS="$$GOFLAGS -tags=remove_all_sd" test/tools/build-tool.sh $@ test/tools/promtool \
		github.com/prometheus/prometheus/cmd/promtool github.com/prometheus/prometheus \
		"cold build ~3-4 min on 2 cores"

# The stage configs live in kwok's module, not in its binary; copy them out of the module
# cache so kwok's files are not committed here.
$(BIN)/kwok-stages/.stamp: test/tools/kwok/go.mod test/tools/kwok/go.sum
	@echo "copying kwok stages into $(BIN)/kwok-stages..."
	@mkdir -p $(BIN)/kwok-stages
	@dir=$$(cd test/tools/kwok && go mod download sigs.k8s.io/kwok && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok) && \
	for s in $(KWOK_STAGES); do install -m 0644 "$$dir/kustomize/stage/$$s" $(BIN)/kwok-stages/; done
	@touch $@

# flux-core is C: it is built once into a cache outside the clone, keyed by the source's
# checksum, and bin/flux-core links to it (test/tools/flux-core/build.sh says where from).
$(BIN)/flux-core/bin/flux: test/tools/flux-core/build.sh test/tools/pinned-source.sh
	@test/tools/flux-core/build.sh $(BIN)/flux-core

# The real Flux Operator: its own Go module, built from the vendored archive (or upstream at
# the pinned commit) into a cache outside the clone; bin/flux-operator links to it.
$(BIN)/flux-operator/manager: test/tools/flux-operator/build.sh test/tools/pinned-source.sh
	@mkdir -p $(BIN)
	@test/tools/flux-operator/build.sh $(BIN)/flux-operator

generate:
	go tool controller-gen object paths=./api/...

# The Helm chart installs the same CRD: its copy is made here, and test/integration/helm
# checks that it is identical.
manifests:
	go tool controller-gen crd rbac:roleName=fluxscale-controller paths=./... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	cp config/crd/bases/*.yaml config/helm/fluxscale/crds/

# KEDA's external scaler protocol (metrics/external/externalscaler): the generators are
# pinned in their own tool module and built into bin/; protoc is Debian's protobuf-compiler.
PROTO_DIR := metrics/external/externalscaler
proto:
	@mkdir -p $(BIN)
	cd test/tools/protoc-gen && go build -o $(BIN)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go \
		&& go build -o $(BIN)/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc
	protoc --plugin=protoc-gen-go=$(BIN)/protoc-gen-go --plugin=protoc-gen-go-grpc=$(BIN)/protoc-gen-go-grpc \
		-I $(PROTO_DIR) --go_out=$(PROTO_DIR) --go_opt=paths=source_relative \
		--go-grpc_out=$(PROTO_DIR) --go-grpc_opt=paths=source_relative $(PROTO_DIR)/externalscaler.proto

vet:
	go vet ./...

# testdata may hold deliberately malformed Go; bin/ and _out/ are build output.
fmt-check:
	@out=$$(find . -name '*.go' -not -path './bin/*' -not -path './_out/*' -not -path '*/testdata/*' \
		-exec gofmt -l {} +); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

test: tools vet fmt-check
	$(TEST_ENV) go test -race -count=1 -timeout=40m ./...

# Benchmarks (see BENCHMARKS.md): each prints its table and the command that produced it,
# and writes it under _out/bench/. Minutes on 2 cores; scale's 2,000 policies take longest.
# Output goes to a file first so a failure is not hidden behind a pipe's exit status.
bench: tools
	@mkdir -p _out/bench
	$(TEST_ENV) go test -run='^$$' -bench=. -benchmem -benchtime=2s ./policy ./metrics/agent ./test/bench/micro \
		> _out/bench/micro.txt; rc=$$?; cat _out/bench/micro.txt; exit $$rc
	$(TEST_ENV) go run ./test/bench/latency -events 200 -baseline-events 20 -gap 1s -out _out/bench
	$(TEST_ENV) go run ./test/bench/scale -policies 100,1000,2000 -out _out/bench
	go run ./cmd/fluxscale simulate --trace $${TRACE:-../shared/traces/lublin_256.swf} --max-size 256 --min-size 1 \
		--out _out/bench/sim > _out/bench/quality.txt; rc=$$?; cat _out/bench/quality.txt; exit $$rc

demo: tools
	$(TEST_ENV) go run ./test/demo

build:
	@mkdir -p $(BIN)
	go build -o $(BIN)/fluxscale ./cmd/fluxscale

# IMG names the image; VERSION is stamped into `fluxscale version`.
IMG ?= fluxscale:dev
VERSION ?= dev
docker-build:
	docker build --build-arg VERSION=$(VERSION) -t $(IMG) .
