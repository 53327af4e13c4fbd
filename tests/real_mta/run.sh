#!/usr/bin/env bash
# mxknock against real mail servers: Postfix (with postgrey and postscreen), Exim, OpenSMTPD,
# dnsmasq and dante, all started by this script inside a network namespace it creates, and
# stopped (by pid) with the namespace removed when it ends, also on failure. The unmodified
# release binary runs inside the namespace on port 25 with the system resolver
# (/etc/netns/<ns>/resolv.conf -> dnsmasq).
#
# Run as root after tests/real_mta/setup.sh has installed the servers:
#   sudo tests/real_mta/run.sh                 every scenario, the batches and the log checks
#   sudo tests/real_mta/run.sh --servers-only  start the servers and wait (to try things by hand)
# Prints SKIPPED (exit 0) where the machine cannot create a network namespace.
# Environment: MXKNOCK_BIN (default: target/release/mxknock, built if missing),
# EXIM_BIN and OPENSMTPD_BIN (default: the unpacked exim4 and smtpd under target/real_mta),
# KEEP_WORK=1 keeps the logs.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CONF=$HERE/conf
NS=mxknock-mta-$$
WORK=$(mktemp -d /tmp/mxknock-mta.XXXXXX)
chmod 755 "$WORK"
PROXY_USER=mxknock-proxy
PROXY_PASSWORD=knock-knock-$$
CREATED_PROXY_USER=0
# The system accounts OpenSMTPD's system.smtpd.test delivers to (servers.sh creates the missing
# ones, removed at the end); the first is also carol@smtpd.test's, the second user0..9's.
OPENSMTPD_USERS=(mxknock-os1 mxknock-os2)
CREATED_OPENSMTPD_USERS=()
source "$HERE/lib.sh"

if [[ $EUID -ne 0 ]]; then
    echo "SKIPPED: tests/real_mta/run.sh needs root (network namespaces, port 25)"
    exit 0
fi
if ! ip netns add "$NS" 2>"$WORK/netns.err"; then
    echo "SKIPPED: this machine cannot create a network namespace: $(cat "$WORK/netns.err")"
    rm -rf "$WORK"
    exit 0
fi

finish() {
    local status=$?
    say "stopping everything"
    stop_all
    if ((CREATED_PROXY_USER)); then userdel "$PROXY_USER" 2>/dev/null || true; fi
    local user
    for user in "${CREATED_OPENSMTPD_USERS[@]}"; do userdel "$user" 2>/dev/null || true; done
    if ((FAILED > 0 || status != 0)) || [[ "${KEEP_WORK:-0}" == 1 ]]; then
        echo "logs kept in $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

BIN=${MXKNOCK_BIN:-$REPO/target/release/mxknock}
EXIM=${EXIM_BIN:-$REPO/target/real_mta/exim/usr/sbin/exim4}
OPENSMTPD=${OPENSMTPD_BIN:-$REPO/target/real_mta/opensmtpd/usr/sbin/smtpd}
for tool in dnsmasq postfix postgrey danted jq openssl nft unshare; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run tests/real_mta/setup.sh"; exit 1; }
done
for server in "$EXIM" "$OPENSMTPD"; do
    [[ -x "$server" ]] || { echo "missing $server: run tests/real_mta/setup.sh"; exit 1; }
done
if [[ ! -x "$BIN" ]]; then
    say "building the release binary"
    (cd "$REPO" && cargo build --release --locked) || exit 1
fi

source "$HERE/servers.sh"
source "$HERE/scenarios.sh"
source "$HERE/batch.sh"
source "$HERE/busy.sh"
source "$HERE/server_logs.sh"
source "$HERE/port25.sh"
source "$HERE/refused.sh"
source "$HERE/doctor.sh"

say "namespace $NS, scratch $WORK"
ip -n "$NS" link set lo up
# The servers' own addresses, so Postfix finds them as local interfaces (127.0.0.99 stays dead):
# Postfix 127.0.0.10-14, Exim 127.0.0.20, OpenSMTPD 127.0.0.40.
for address in 127.0.0.10 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.20 127.0.0.40; do
    ip -n "$NS" addr add "$address/8" dev lo
done
mkdir -p "/etc/netns/$NS"
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
# An empty /etc/hosts in the namespace, so that the servers learn the client's name (the
# reverse DNS of 127.0.0.1) from dnsmasq, where refused.sh can change it, not from the host's.
echo "# mxknock real-MTA test: no entries; every name comes from dnsmasq" >"/etc/netns/$NS/hosts"
# Generated zones and the nftables table, before dnsmasq starts.
prepare_port25 || exit 1
prepare_refused
prepare_doctor

start_servers || exit 1
if [[ "${1:-}" == --servers-only ]]; then
    echo "servers up in namespace $NS; try: ip netns exec $NS $BIN check --transcript user1@users.test"
    echo "Ctrl-C (or kill $$) stops them"
    sleep infinity &
    wait $!
    exit 0
fi
run_scenarios
run_batch
run_batch_recipient_policy
run_port25
run_refused
run_doctor
check_server_logs

say "$PASSED passed, $FAILED failed"
((FAILED == 0))
