#!/usr/bin/env bash
# Builds Anvil's container image from this working tree:
#
#   packaging/container/build-image.sh [IMAGE] [-- BUILD-ARGS...]
#   packaging/container/build-image.sh --stage-only
#
# IMAGE defaults to localhost/anvil:latest. It compiles Anvil (tsc, into the
# staging directory, not dist/), stages the production dependencies (a copy
# of node_modules pruned with `npm prune --omit=dev --offline`: nothing is
# downloaded) and this machine's Node.js binary in dist/container/, then
# builds the Dockerfile with the repository as context (.dockerignore lets
# in only dist/container/ and packaging/container/). With --stage-only it
# stops after staging: dist/container/app is then what /opt/anvil holds for
# the systemd unit (packaging/anvil.service).
#
# Needs `npm ci` done, Node.js 20+ and podman or docker. Environment:
#   CONTAINER_CMD  the build tool with its global flags, e.g.
#                  "podman --runtime runc --cgroup-manager=cgroupfs"
#                  (default: podman if present, else docker)
#   ANVIL_BASE     the Debian 12 base image (default: the Dockerfile's,
#                  debian:bookworm-slim); localhost/anvil-base from
#                  build-base-image.sh where no registry answers
# BUILD-ARGS go to the build command as they are (--network host, --ulimit ...).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
image=localhost/anvil:latest
stage_only=0
if [ "${1:-}" = --stage-only ]; then
  stage_only=1
  shift
fi
if [ $# -gt 0 ] && [ "$1" != -- ]; then
  image=$1
  shift
fi
[ "${1:-}" != -- ] || shift

if [ "$stage_only" = 1 ]; then
  tool=()
elif [ -n "${CONTAINER_CMD:-}" ]; then
  read -r -a tool <<<"$CONTAINER_CMD"
elif command -v podman >/dev/null; then
  tool=(podman)
else
  tool=(docker)
fi

node=$(readlink -f "$(command -v node)")
major=$("$node" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || {
  echo "build-image: $node is Node.js $major; the image needs 20 or later" >&2
  exit 1
}
[ -d "$repo/node_modules" ] || {
  echo "build-image: run npm ci first" >&2
  exit 1
}

stage=$repo/dist/container
mkdir -p "$repo/dist"
# Builds from one tree take turns: they share the staging directory.
exec 9>"$repo/dist/.container-build.lock"
flock 9
started=$(date +%s)
rm -rf "$stage"
mkdir -p "$stage/app"
cd "$repo"
npx tsc -p tsconfig.json --outDir "$stage/app/dist"
# The dashboard, served at /ui/ from dist/ui beside the compiled API.
node ui/build.mjs --out "$stage/app/dist/ui"
cp package.json package-lock.json "$stage/app/"
cp -a node_modules "$stage/app/"
(cd "$stage/app" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error)
# The native TFTP data path that `npm ci` built (pxe/tftp/native-transfers.ts); without it, worker threads.
if [ -f build/Release/anvil_tftp.node ]; then
  mkdir -p "$stage/app/build/Release"
  cp build/Release/anvil_tftp.node "$stage/app/build/Release/"
else
  echo "build-image: build/Release/anvil_tftp.node is missing: the image's TFTP transfers will run on worker threads" >&2
fi
# better-sqlite3 needs only its compiled addon at run time, not the SQLite sources it was built from.
sqlite=$stage/app/node_modules/better-sqlite3
if [ -f "$sqlite/build/Release/better_sqlite3.node" ]; then
  mv "$sqlite/build/Release/better_sqlite3.node" "$stage/better_sqlite3.node"
  rm -rf "$sqlite/build" "$sqlite/deps" "$sqlite/src"
  mkdir -p "$sqlite/build/Release"
  mv "$stage/better_sqlite3.node" "$sqlite/build/Release/"
fi
cp --preserve=timestamps "$node" "$stage/node"
echo "build-image: staged $(du -sh "$stage" | cut -f1) in $(($(date +%s) - started)) s (Node.js $("$node" --version))"
[ "$stage_only" = 0 ] || exit 0

format=()
[ "$(basename "${tool[0]}")" != podman ] || format=(--format docker) # podman drops HEALTHCHECK from OCI images
base=()
[ -z "${ANVIL_BASE:-}" ] || base=(--build-arg "BASE=$ANVIL_BASE")
previous=$("${tool[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
"${tool[@]}" build "${format[@]}" "${base[@]}" -t "$image" "$@" "$repo"
# The image this one replaces, and its intermediate images, would linger untagged. The base and
# apt layers carry no such label: they stay cached for the next build.
if [ -n "$previous" ] && [ "$previous" != "$("${tool[@]}" image inspect --format '{{.Id}}' "$image")" ]; then
  "${tool[@]}" rmi "$previous" >/dev/null 2>&1 || true
fi
"${tool[@]}" image prune -f --filter label=org.opencontainers.image.title=Anvil >/dev/null 2>&1 || true
echo "build-image: $image built in $(($(date +%s) - started)) s"
