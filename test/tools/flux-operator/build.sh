#!/usr/bin/env bash
# Builds the real Flux Operator (its manager binary) and copies its MiniCluster CRD into OUT
# (called by `make tools`). The operator is its own Go module (controller-runtime v0.12,
# client-go v0.25) and stays out of fluxscale's go.mod: it is built in a scratch copy of its
# tree. The result is cached outside the clone, keyed by the source's checksum, because CI
# clones afresh each run.
#
# Source, in order: $FLUX_OPERATOR_SOURCE (a .tar.xz archive or an unpacked tree), the vendored
# archive ../shared/vendor/flux-operator-$SHORT.tar.xz beside the repository (checksum checked
# against SHA256SUMS there), else a clone of upstream at the pinned commit (verified).
# Usage: test/tools/flux-operator/build.sh OUT
# OUT/manager is the operator; OUT/crd/miniclusters.yaml its CRD; OUT/examples/... the
# operator's example MiniCluster the e2e seed story uses unchanged.
set -euo pipefail
out=$1
commit=0d75cef855dee5351d68e32ec139a70e892b5268
short=${commit:0:7}
archive_sha=be9648158884c2d3819f28cf8f1b71976b0249e24ef802554a06cfda7f7ba6fd
upstream=https://github.com/flux-framework/flux-operator.git
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cache_root=${FLUXSCALE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fluxscale}
crd=config/crd/bases/flux-framework.org_miniclusters.yaml
# The operator's own example the seed story runs unchanged.
example=examples/elasticity/basic/minicluster.yaml

# shellcheck source=../pinned-source.sh
. "$(dirname "$0")/../pinned-source.sh"
pinned_source "flux-operator-$short" "${FLUX_OPERATOR_SOURCE:-}" "$repo/../shared/vendor/flux-operator-$short.tar.xz" "$archive_sha" "$commit"

mkdir -p "$cache_root"
# Two builds at once would write the same prefix: the second waits and finds the first's.
exec 9>"$cache_root/.flux-operator.lock"
flock 9
if [ -x "$prefix/manager" ] && [ -f "$prefix/crd/miniclusters.yaml" ] && [ -f "$prefix/$example" ]; then
  echo "flux-operator $short: using cached build $prefix"
else
  echo "building flux-operator $short from $src_kind source into $prefix (cold build ~3-5 min on 2 cores)..."
  start=$SECONDS
  work=$(mktemp -d "$cache_root/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  pinned_tree "$work" "$upstream" "$commit"
  rm -rf "$prefix" "$prefix.tmp"
  mkdir -p "$prefix.tmp/crd" "$prefix.tmp/$(dirname "$example")"
  # The tree's own pkg/flux/keygen.go builds without cgo (the Makefile's czmq variant is not
  # used): the broker curve certificate it writes is empty, which the emulation replaces.
  (cd "$tree" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$prefix.tmp/manager" main.go)
  install -m 0644 "$tree/$crd" "$prefix.tmp/crd/miniclusters.yaml"
  install -m 0644 "$tree/$example" "$prefix.tmp/$example"
  mv "$prefix.tmp" "$prefix"
  echo "built flux-operator in $((SECONDS - start))s"
fi
rm -rf "$out"
ln -s "$prefix" "$out"
