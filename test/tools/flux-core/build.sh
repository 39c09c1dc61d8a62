#!/usr/bin/env bash
# Builds flux-core from a pinned source into a cache outside the clone and points OUT at it
# (called by `make tools`). CI clones afresh each run; a 10-12 minute C build per run would
# not do, so the install is keyed by the source's checksum and reused while it matches.
#
# Source, in order: $FLUX_CORE_SOURCE (a .tar.xz archive or an unpacked tree), the vendored
# archive ../shared/vendor/flux-core-$VERSION.tar.xz beside the repository (checksum checked
# against SHA256SUMS there), else a clone of upstream at the pinned commit (verified).
# Usage: test/tools/flux-core/build.sh OUT
set -euo pipefail
out=$1
version=0.88.0
commit=93ccef2f1a33e32941fcb1992dbf3a96366ec506
archive_sha=35e3fdefff866ec61499c7a859522a5ab9eba68337acabcae3b914e85df74365
upstream=https://github.com/flux-framework/flux-core.git
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cache_root=${FLUXSCALE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fluxscale}

# The Debian packages flux-core needs to build and run (../shared/vendor/README.md).
packages=(autoconf automake libtool make pkg-config gcc g++ libc6-dev libzmq3-dev uuid-dev
  libjansson-dev liblz4-dev libarchive-dev libhwloc-dev libsqlite3-dev libncurses-dev
  lua5.3 liblua5.3-dev lua-posix python3-dev python3-cffi python3-ply python3-setuptools
  python3-yaml jq xz-utils git)

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "flux-core: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# shellcheck source=../pinned-source.sh
. "$(dirname "$0")/../pinned-source.sh"
pinned_source "flux-core-$version" "${FLUX_CORE_SOURCE:-}" "$repo/../shared/vendor/flux-core-$version.tar.xz" "$archive_sha" "$commit"

install_packages
# Two builds at once (two clones, or make -j) would write the same prefix: the second waits
# for the first and then finds its install.
mkdir -p "$cache_root"
exec 9>"$cache_root/.flux-core.lock"
flock 9
if [ -x "$prefix/bin/flux" ] && [ -f "$prefix/.complete" ]; then
  echo "flux-core $version: using cached install $prefix"
else
  echo "building flux-core $version from $src_kind source into $prefix (cold build ~10-12 min on 2 cores)..."
  start=$SECONDS
  mkdir -p "$cache_root"
  work=$(mktemp -d "$cache_root/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  pinned_tree "$work" "$upstream" "$commit"
  rm -rf "$prefix"
  (
    cd "$tree"
    log=$work/build.log
    echo "flux-core: autogen + configure..."
    # A git archive has no version metadata: configure takes it from FLUX_VERSION.
    { FLUX_VERSION=$version ./autogen.sh &&
      ./configure --prefix="$prefix" --disable-docs PYTHON=/usr/bin/python3 LUA=/usr/bin/lua5.3; } >"$log" 2>&1 ||
      { tail -40 "$log" >&2; exit 1; }
    echo "flux-core: make -j$(nproc) (progress every 100 compile lines)..."
    make -j"$(nproc)" 2>&1 | tee -a "$log" | awk '/CC|CXX/ { if (++n % 100 == 0) print "flux-core: " n " files compiled"; fflush() }'
    [ "${PIPESTATUS[0]}" = 0 ] || { tail -40 "$log" >&2; exit 1; }
    echo "flux-core: make install..."
    make install >>"$log" 2>&1 || { tail -40 "$log" >&2; exit 1; }
  )
  "$prefix/bin/flux" version >/dev/null
  touch "$prefix/.complete"
  echo "built flux-core $version in $((SECONDS - start))s"
fi
mkdir -p "$(dirname "$out")"
ln -sfn "$prefix" "$out"
