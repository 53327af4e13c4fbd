# `mxknock doctor` inside the namespace, before and after the zone fixes: mxknock connects from
# DOCTOR_IP (a namespace-only address on lo, with --bind), whose reverse DNS, HELO name and
# DNSBL listing dnsmasq serves from dnsmasq.d/doctor.hosts. First that address has no PTR,
# the HELO name does not resolve and dnsbl.test lists it: the doctor must name all three. Then
# the PTR and the HELO name's A record are added and the listing removed (dnsmasq re-reads the
# file on SIGHUP): those checks must pass. Both reports are printed for the log. Sourced by
# run.sh.

DOCTOR_IP=192.0.2.50
DOCTOR_HELO=doctor.test

# write_doctor_zone broken|fixed: the DNS facts of DOCTOR_IP and DOCTOR_HELO.
write_doctor_zone() {
    mkdir -p "$WORK/dnsmasq.d"
    {
        echo "# Written by tests/real_mta/doctor.sh: write_doctor_zone $1"
        if [[ "$1" == fixed ]]; then
            echo "$DOCTOR_IP $DOCTOR_HELO"
        else
            echo "127.0.0.2 50.2.0.192.dnsbl.test"
        fi
    } >"$WORK/dnsmasq.d/doctor.hosts"
}

prepare_doctor() {
    ip -n "$NS" addr add "$DOCTOR_IP/32" dev lo
    write_doctor_zone broken
}

# write_doctor_config: the real-MTA test's settings (rendered by run_scenarios) and the test
# DNSBL as the doctor's only blocklist.
write_doctor_config() {
    {
        cat "$WORK/mxknock.toml"
        printf '\n[doctor]\nblocklists = ["dnsbl.test"]\n'
    } >"$WORK/doctor.toml"
}

# doctor_run FORMAT...: the doctor over strict1.test (MX: Postfix's strict listener), from
# DOCTOR_IP with DOCTOR_HELO and a sender of users.test.
doctor_run() {
    mxknock_config "$WORK/doctor.toml" doctor --bind "$DOCTOR_IP" --helo "$DOCTOR_HELO" \
        --from postmaster@users.test "$@" strict1.test
}

# doctor_status JSON NAME: the status of check NAME (the first of that name).
doctor_status() {
    jq -r --arg name "$2" '[.checks[] | select(.name == $name)][0].status' <<<"$1"
}

doctor_summary() {
    jq -r --arg name "$2" '[.checks[] | select(.name == $name)][0].summary' <<<"$1"
}

run_doctor() {
    say "mxknock doctor from $DOCTOR_IP: before the zone fixes"
    local json code
    write_doctor_config
    doctor_run | sed 's/^/    /'
    json=$(doctor_run --json)
    code=$?
    expect_eq "doctor before: exit code" "$code" 5
    expect_eq "doctor before: port 25" "$(doctor_status "$json" "port 25")" pass
    expect_eq "doctor before: IP seen" "$(jq -r .ip_seen <<<"$json")" "$DOCTOR_IP"
    expect_eq "doctor before: rDNS" "$(doctor_status "$json" rDNS)" fail
    expect_match "doctor before: rDNS names the missing PTR" "$(doctor_summary "$json" rDNS)" \
        "$DOCTOR_IP.*(no PTR|PTR record)"
    expect_eq "doctor before: HELO" "$(doctor_status "$json" HELO)" fail
    expect_match "doctor before: HELO says $DOCTOR_HELO does not resolve" \
        "$(doctor_summary "$json" HELO)" "$DOCTOR_HELO"
    expect_eq "doctor before: blocklist" "$(doctor_status "$json" blocklist)" fail
    expect_match "doctor before: the listing names its list" \
        "$(doctor_summary "$json" blocklist)" 'dnsbl\.test'

    write_doctor_zone fixed
    reload_dnsmasq || return
    say "mxknock doctor from $DOCTOR_IP: after adding the PTR and the HELO A record, and removing the listing"
    doctor_run | sed 's/^/    /'
    json=$(doctor_run --json)
    code=$?
    expect_eq "doctor after: rDNS" "$(doctor_status "$json" rDNS)" pass
    expect_eq "doctor after: HELO" "$(doctor_status "$json" HELO)" pass
    expect_eq "doctor after: blocklist" "$(doctor_status "$json" blocklist)" pass
    expect_eq "doctor after: every check passes (exit code)" "$code" 0
}
