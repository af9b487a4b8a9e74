#!/usr/bin/env bash
# Builds the base image the Dockerfile starts from where no container registry
# answers: Debian (minbase) from the Debian mirror this machine's apt already
# uses, imported into podman's image store as localhost/anvil-base.
#
#   packaging/container/build-base-image.sh [--force]
#
# Idempotent: an existing image is kept unless --force. Needs root,
# debootstrap and podman. Takes 40-60 s here (network-bound).
# Where a container registry answers, skip this: the Dockerfile's default
# base is debian:bookworm-slim.
set -euo pipefail

image=${ANVIL_BASE_IMAGE:-localhost/anvil-base}
suite=${ANVIL_BASE_SUITE:-bookworm}

for tool in podman flock; do
  command -v "$tool" >/dev/null || { echo "anvil-base: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
# One build at a time; a second caller waits and then finds the image.
exec 9>/var/tmp/anvil-base-image.lock
flock 9
if [ "${1:-}" != --force ] && podman image exists "$image"; then
  echo "anvil-base: $image exists (--force rebuilds it)"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "anvil-base: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
  echo "anvil-base: debootstrap needs root" >&2
  exit 1
fi

# The mirrors apt uses for this suite (and its -updates and -security), as "URI SUITE" lines.
# shellcheck disable=SC2016 # $(...) is apt's template syntax
sources=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
  awk -v s="$suite" '$2 == s || $2 == s "-updates" || $2 == s "-security"' | sort -u || true)
mirror=${ANVIL_BASE_MIRROR:-$(awk -v s="$suite" '$2 == s { print $1; exit }' <<<"$sources")}
if [ -z "$mirror" ]; then
  echo "anvil-base: apt uses no mirror for $suite here; name one with ANVIL_BASE_MIRROR" >&2
  exit 1
fi

root=$(mktemp -d /var/tmp/anvil-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
started=$(date +%s)
echo "anvil-base: debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
  tail -n 30 "$root.log" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"

# The image's apt looks where this machine's does, security updates included.
{
  echo "deb $mirror $suite main"
  awk -v s="$suite" '$2 != s { print "deb " $1 " " $2 " main" }' <<<"$sources"
} >"$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

tar --numeric-owner --xattrs -C "$root" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "anvil-base: $image built in $(($(date +%s) - started)) s"
