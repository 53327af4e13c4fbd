#!/usr/bin/env bash
# Installs what tests/real_mta/run.sh needs (as root, Debian): Postfix, postgrey, dnsmasq,
# dante, jq, openssl, nftables from apt; Exim from its .deb unpacked under target/real_mta/exim,
# because Debian's postfix and exim4-daemon-light packages conflict; its libraries from apt; and
# the Debian-exim system account the Exim binary is built to run as.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    postfix postgrey dnsmasq-base dante-server jq openssl iproute2 procps passwd nftables \
    libidn12 libgnutls-dane0 libgnutls30 libdb5.3 libnsl2 libpcre2-8-0 >/dev/null

EXIM_DIR=$REPO/target/real_mta/exim
if [[ ! -x "$EXIM_DIR/usr/sbin/exim4" ]]; then
    mkdir -p "$REPO/target/real_mta"
    (cd "$REPO/target/real_mta" && apt-get download exim4-daemon-light 2>/dev/null)
    dpkg-deb -x "$REPO"/target/real_mta/exim4-daemon-light_*.deb "$EXIM_DIR"
fi
id Debian-exim >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin Debian-exim
echo "real-MTA test prerequisites installed; Exim at $EXIM_DIR/usr/sbin/exim4"
