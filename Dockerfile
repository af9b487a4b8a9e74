# Anvil's service image: `anvil serve` (API, conductor, TFTP, HTTP boot, and
# DHCP when enabled) as the unprivileged user anvil (uid/gid 6385), with what
# network boot needs from Debian: the iPXE binaries, and grub-mkrescue with
# xorriso and mtools for virtual media ISOs.
#
# Build it with packaging/container/build-image.sh, not with a bare
# `docker build .`: the script compiles Anvil, stages its production
# dependencies and the build machine's Node.js binary (20+, built for glibc
# <= Debian 12's, as nodejs.org and NodeSource builds are) in dist/container/,
# then runs `podman build` or `docker build` on this file. .dockerignore lets
# only dist/container/ and packaging/container/ into the build, and nothing
# is fetched from npm during it; Debian packages come from the base image's
# apt mirror.
#
# BASE: any Debian 12 image. Where no registry answers,
# packaging/container/build-base-image.sh makes localhost/anvil-base with
# debootstrap (pass --build-arg BASE=localhost/anvil-base).
ARG BASE=debian:bookworm-slim
FROM ${BASE} AS system

# ipxe: undionly.kpxe, ipxe.efi, snponly.efi for TFTP (ANVIL_TFTP_ROOT=/usr/lib/ipxe).
# grub-*, xorriso, mtools: grub-mkrescue for the virtual media boot ISO.
# openssl, apache2-utils (htpasswd -B): anvil-init's certificate and first user.
# tini: PID 1, which reaps what grub-mkrescue leaves and passes signals on.
# libcap2-bin: setcap below. No manuals, documentation or translations.
RUN printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
      'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/locale/*' \
      >/etc/dpkg/dpkg.cfg.d/anvil-slim \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ipxe grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools \
      openssl apache2-utils tini libcap2-bin ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 6385 anvil \
 && useradd --uid 6385 --gid anvil --home-dir /var/lib/anvil --no-create-home --shell /usr/sbin/nologin anvil \
 && install -d -o anvil -g anvil -m 0750 /var/lib/anvil

# TFTP's port 69 (and DHCP's 67) as user anvil: a file capability on node
# rather than ambient capabilities, because Docker grants no ambient ones and
# on the host network no container sysctl lowers ip_unprivileged_port_start.
# It takes effect while the container's bounding set has NET_BIND_SERVICE
# (Docker's and podman's defaults do) and no-new-privileges is off.
# Set in a stage of its own so that the image holds one copy of the binary.
FROM system AS node
COPY dist/container/node /usr/local/bin/node
RUN setcap cap_net_bind_service=+ep /usr/local/bin/node

FROM system
# Also marks this stage's intermediate images, which build-image.sh prunes once a newer build replaces them.
LABEL org.opencontainers.image.title=Anvil \
      org.opencontainers.image.description="Bare-metal provisioning with an Ironic-compatible API"
COPY --from=node /usr/local/bin/node /usr/local/bin/node
# A builder that drops extended attributes on COPY --from costs a second copy, not the capability.
RUN getcap /usr/local/bin/node | grep -q cap_net_bind_service || setcap cap_net_bind_service=+ep /usr/local/bin/node; \
    getcap /usr/local/bin/node && node --version

COPY dist/container/app /opt/anvil
COPY packaging/container/anvil packaging/container/anvil-init packaging/container/anvil-healthcheck /usr/local/bin/

# Secure by default: basic auth and HTTPS on every address; anvil-init makes
# the htpasswd (printing a random password once) and a self-signed
# certificate in the data volume when they are absent. Set ANVIL_PUBLIC_URL
# and ANVIL_API_PUBLIC_URL to how hosts reach this machine.
ENV ANVIL_DATA_DIR=/var/lib/anvil \
    ANVIL_API_HOST=0.0.0.0 \
    ANVIL_AUTH=basic \
    ANVIL_HTPASSWD=/var/lib/anvil/htpasswd \
    ANVIL_TLS_CERT=/var/lib/anvil/tls/tls.crt \
    ANVIL_TLS_KEY=/var/lib/anvil/tls/tls.key \
    NODE_ENV=production

VOLUME /var/lib/anvil
WORKDIR /var/lib/anvil
# API, HTTP boot, TFTP; DHCP (67/udp, and 4011/udp in proxy mode) needs the host network anyway.
EXPOSE 6385 8080 69/udp
# podman keeps HEALTHCHECK only with `podman build --format docker`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/anvil-healthcheck"]
USER 6385:6385
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/anvil-init"]
CMD ["serve"]
