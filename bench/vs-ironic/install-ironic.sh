#!/usr/bin/env bash
# Ironic from Debian's packages (python3-ironic: the all-in-one `ironic`
# command is its ironic.cmd.singleprocess), for bench/vs-ironic. Idempotent;
# needs root (apt-get). Run by the benchmark when Ironic is absent.
set -euo pipefail
if /usr/bin/python3 -c 'import ironic.cmd.singleprocess' 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/vs-ironic: Ironic is not installed and this is not root: run sudo $0" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3-ironic
