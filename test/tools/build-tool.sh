#!/usr/bin/env bash
# Builds one pinned test binary from its tool module under test/tools (called by `make tools`).
# Usage: test/tools/build-tool.sh OUT TOOL_DIR PACKAGE VERSION_MODULE HINT
set -euo pipefail
out=$1 dir=$2 pkg=$3 mod=$4 hint=$5
name=$(basename "$out")

cd "$dir"
version=$(go list -m -f '{{.Version}}' "$mod")
# Small binaries: no symbol tables, no local paths.
ldflags="-s -w"
if [[ $mod == k8s.io/kubernetes ]]; then
  # Stamp the version as Kubernetes' own build does; otherwise --version and /version say
  # v0.0.0-master.
  IFS=. read -r major minor _ <<<"${version#v}"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
fi

echo "building $name $version ($hint)..."
start=$SECONDS
# Link to a temporary name first so an interrupted build never leaves a binary that make
# considers up to date.
go build -trimpath -ldflags="$ldflags" -o "$out.tmp" "$pkg"
mv "$out.tmp" "$out"
echo "built $name in $((SECONDS - start))s"
