# Shared by the build scripts of the C and Go tools that come from a pinned source
# (flux-core, the Flux Operator); sourced, not run. The source is, in order: the directory or
# archive an environment variable names, the vendored archive in ../shared/vendor beside the
# repository (its sha256 checked), else a clone of upstream at the pinned commit (verified).

# pinned_source NAME OVERRIDE ARCHIVE ARCHIVE_SHA COMMIT sets src_kind (dir, archive or git),
# src, and prefix: the cache directory $cache_root/NAME-<key> the build goes to. NAME is
# also the name in messages, OVERRIDE the value of the overriding variable.
pinned_source() {
  local name=$1 override=$2 archive=$3 archive_sha=$4 commit=$5 key sum
  src_kind="" src=""
  if [ -n "$override" ]; then
    src=$override
    if [ -d "$src" ]; then src_kind=dir; key=dir-$(printf '%s' "$(cd "$src" && pwd)" | sha256sum | cut -c1-16)
    else src_kind=archive; fi
  elif [ -f "$archive" ]; then
    src=$archive src_kind=archive
  else
    src_kind=git key=git-${commit:0:16}
  fi
  if [ "$src_kind" = archive ]; then
    sum=$(sha256sum "$src" | cut -d' ' -f1)
    if [ -z "$override" ] && [ "$sum" != "$archive_sha" ]; then
      echo "$name: $src has sha256 $sum, want $archive_sha (see ../shared/vendor/SHA256SUMS)" >&2
      exit 1
    fi
    key=${sum:0:16}
  fi
  prefix=$cache_root/$name-$key
  # Without the vendored archive, a cache built from it is the same tree (a git archive of
  # the pinned commit, checked by its sha256 when it was built): use it rather than clone.
  if [ "$src_kind" = git ] && [ -d "$cache_root/$name-${archive_sha:0:16}" ]; then
    prefix=$cache_root/$name-${archive_sha:0:16}
  fi
}

# pinned_tree WORK UPSTREAM COMMIT puts the source into WORK and sets tree to its top.
pinned_tree() {
  local work=$1 upstream=$2 commit=$3 got
  case $src_kind in
    archive) tar -xJf "$src" -C "$work"; tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1) ;;
    dir) cp -a "$src" "$work/src"; tree=$work/src ;;
    git)
      git clone -q "$upstream" "$work/src"
      git -C "$work/src" checkout -q "$commit"
      got=$(git -C "$work/src" rev-parse HEAD)
      [ "$got" = "$commit" ] || { echo "clone of $upstream is at $got, want $commit" >&2; exit 1; }
      tree=$work/src ;;
  esac
}
