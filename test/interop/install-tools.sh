#!/usr/bin/env bash
# Installs the real third-party programs the interop suite drives (Debian packages).
# Idempotent: packages already present are left alone. Needs root (apt-get).
set -euo pipefail

packages=(
  python3-ironicclient   # the `baremetal` CLI
  python3-openstacksdk
  tempest                # OpenStack's test runner, and Ironic's API suite for it (tempest.test.ts)
  ironic-tempest-plugin
  python3-subunit        # reads tempest's result stream
  ipmitool               # IPMI v2.0 peer for the BMC sim
  freeipmi-tools
  openipmi               # ipmi_sim: a real BMC for Anvil's IPMI client
  python3-sushy          # Ironic's Redfish library, against the Redfish sim
  redfishtool            # DMTF's Redfish CLI, against the Redfish sim
  python3-pyghmi
  tftp-hpa               # TFTP clients and the peer server for the TFTP benchmark
  tftpd-hpa
  atftp
  curl
  apache2-utils          # htpasswd -B: the htpasswd file of the basic-auth proof
  openssl                # a CA and server certificate for the API over HTTPS
  busybox                # udhcpc
  isc-dhcp-client        # dhclient
  dnsmasq-base           # the "site DHCP server" beside Anvil's proxy mode
  iproute2               # ip netns, veth
  iptables               # counts who connected to the API in the network provisioning proof
  ipxe                   # undionly.kpxe, ipxe.efi, snponly.efi served over TFTP
  ipxe-qemu
  qemu-system-x86
  xorriso
  grub-common            # grub-mkrescue builds the virtual media boot ISO
  grub-efi-amd64-bin
  grub-pc-bin
  mtools
  ovmf                   # UEFI firmware for QEMU boot tests of that ISO
  tmux                   # drives the CLI's progress display on a terminal
  podman                 # builds and runs Anvil's container image (container.test.ts)
  runc                   # podman's OCI runtime here
  debootstrap            # the local Debian base image, where no registry answers
  systemd                # systemd-analyze verify, systemd-sysusers, systemd-tmpfiles on packaging/ (never started)
  golang-go              # builds test/interop/gophercloud/bmo-flow offline (GOPATH mode)
  golang-github-gophercloud-gophercloud-dev  # gophercloud, the Go client BMO drives Ironic with
  chromium               # headless browser for the dashboard's tests (ui-dashboard.test.ts)
  fonts-dejavu-core      # a font for the dashboard's screenshots
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "interop tools: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "interop tools: missing ${missing[*]} and not root; run this script as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Installed for tests, not as services: keep daemons (tftpd-hpa) from starting on their standard ports.
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ "$had_policy" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "interop tools: installed ${missing[*]}"
