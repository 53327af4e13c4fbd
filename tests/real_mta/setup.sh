#!/usr/bin/env bash
# Installs what tests/real_mta/run.sh needs (as root, Debian): Postfix, postgrey, dnsmasq,
# dante, jq, openssl, nftables from apt; Exim and OpenSMTPD from their .debs unpacked under
# target/real_mta/exim and target/real_mta/opensmtpd, because Debian's postfix, exim4-daemon-light
# and opensmtpd packages all conflict (each provides mail-transport-agent); their libraries from
# apt; and the system accounts the two binaries are built to run as.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
# The second line: Exim's libraries; the third: OpenSMTPD's (ldd target/real_mta/opensmtpd/usr/sbin/smtpd).
apt-get install -y -qq --no-install-recommends \
    postfix postgrey dnsmasq-base dante-server jq openssl iproute2 procps passwd nftables util-linux \
    libidn12 libgnutls-dane0 libgnutls30 libdb5.3 libnsl2 libpcre2-8-0 \
    libevent-2.1-7 libssl3 libcrypt1 libpam0g zlib1g >/dev/null

# unpack PACKAGE DIR: the package's .deb, downloaded once into target/real_mta and unpacked
# into DIR (not installed: no maintainer scripts run, nothing lands outside target/).
unpack() {
    local package=$1 dir=$2 debs
    mkdir -p "$REPO/target/real_mta"
    shopt -s nullglob
    debs=("$REPO/target/real_mta/${package}"_*.deb)
    if ((${#debs[@]} == 0)); then
        (cd "$REPO/target/real_mta" && apt-get download "$package" 2>/dev/null)
        debs=("$REPO/target/real_mta/${package}"_*.deb)
    fi
    shopt -u nullglob
    ((${#debs[@]} > 0)) || { echo "apt-get download $package gave no .deb"; exit 1; }
    dpkg-deb -x "${debs[-1]}" "$dir"
}

# system_account NAME HOME [GROUP]: a system account without a login shell (its home not
# created), in its own GROUP if given, as the package's postinst would create it.
system_account() {
    local name=$1 home=$2 group=${3:-}
    local args=(--system --no-create-home --home-dir "$home" --shell /usr/sbin/nologin)
    if [[ -n "$group" ]]; then
        getent group "$group" >/dev/null || groupadd --system "$group"
        args+=(--gid "$group")
    fi
    id "$name" >/dev/null 2>&1 || useradd "${args[@]}" "$name"
}

EXIM_DIR=$REPO/target/real_mta/exim
[[ -x "$EXIM_DIR/usr/sbin/exim4" ]] || unpack exim4-daemon-light "$EXIM_DIR"
system_account Debian-exim /nonexistent

# OpenSMTPD (Debian's build: user opensmtpd for the unprivileged processes, opensmtpq for the
# queue, each with its own group; they chroot into /var/lib/opensmtpd/empty, a path compiled
# into the binary, so that empty root-owned directory is made where the package would put it).
OPENSMTPD_DIR=$REPO/target/real_mta/opensmtpd
[[ -x "$OPENSMTPD_DIR/usr/sbin/smtpd" ]] || unpack opensmtpd "$OPENSMTPD_DIR"
install -d -o root -g root -m 755 /var/lib/opensmtpd/empty
system_account opensmtpd /var/lib/opensmtpd/empty opensmtpd
system_account opensmtpq /var/lib/opensmtpd/empty opensmtpq
# smtpd -h prints its version (and exits 1): it runs with the libraries installed above.
version=$("$OPENSMTPD_DIR/usr/sbin/smtpd" -h 2>&1 || true)
[[ "$version" == *"version: OpenSMTPD"* ]] || { echo "the unpacked smtpd does not run: $version"; exit 1; }

echo "real-MTA test prerequisites installed; Exim at $EXIM_DIR/usr/sbin/exim4," \
    "OpenSMTPD at $OPENSMTPD_DIR/usr/sbin/smtpd"
