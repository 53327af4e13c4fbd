# Hosts that refuse us rather than a mailbox: such a host is asked once (the first session to a
# server is a trial) and every address waiting for it ends unknown/blocked at once; a refusal
# of one recipient by policy stays with that address. Postfix's strict listener 127.0.0.12
# (syslog name postfix/strict2) checks our reverse DNS, the DNSBL dnsbl.test and our HELO name,
# and serves strict1..3.test; its policy listener 127.0.0.11 (postfix/policy) refuses every
# client. Sourced by run.sh: prepare_refused before the servers start, run_refused after the
# other parts.
#
# The client's reputation (its reverse DNS, its DNSBL listing) is dnsmasq.d/reputation.hosts,
# written by write_reputation; a later step can change it while the servers run and make
# dnsmasq re-read it with reload_dnsmasq.

# The address mxknock connects from inside the namespace, as Postfix logs it (the kernel picks
# 127.0.0.1 for every 127/8 destination: the servers' addresses are secondary ones). Its name
# comes from dnsmasq alone (the namespace's /etc/hosts is empty, see run.sh).
CLIENT_IP=127.0.0.1

# write_reputation listed|clean [PTR]: the reverse DNS of $CLIENT_IP (PTR, default localhost, which
# resolves back to it; "none" for no PTR record) and its A record in
# dnsbl.test when "listed" (127.0.0.2, the usual "listed" answer; the reason is the TXT in
# dnsmasq.conf).
write_reputation() {
    local listed=$1 ptr=${2:-localhost} reversed
    reversed=$(awk -F. '{ print $4 "." $3 "." $2 "." $1 }' <<<"$CLIENT_IP")
    mkdir -p "$WORK/dnsmasq.d"
    {
        echo "# Written by tests/real_mta/refused.sh: write_reputation $*"
        if [[ "$ptr" != none ]]; then echo "$CLIENT_IP $ptr"; fi
        if [[ "$listed" == listed ]]; then echo "127.0.0.2 $reversed.dnsbl.test"; fi
    } >"$WORK/dnsmasq.d/reputation.hosts"
}

# reload_dnsmasq: dnsmasq re-reads reputation.hosts (and empties its cache) on SIGHUP; waits
# until its log says so.
reload_dnsmasq() {
    local before tries=0
    before=$(grep -c ': read .*/reputation\.hosts' "$WORK/dnsmasq.log" || true)
    kill -HUP "$(cat "$WORK/dnsmasq.pid")"
    until (($(grep -c ': read .*/reputation\.hosts' "$WORK/dnsmasq.log" || true) > before)); do
        tries=$((tries + 1))
        ((tries > 50)) && { fail "dnsmasq did not re-read reputation.hosts"; return 1; }
        sleep 0.1
    done
}

prepare_refused() { write_reputation listed; }

# wait_sessions_closed LOG FROM SYSLOG_NAME: waits (2 s at most) until every session that
# SYSLOG_NAME's smtpd opened after line FROM of LOG has logged its disconnect (Postfix writes
# its log asynchronously).
wait_sessions_closed() {
    local _ opened closed
    for _ in $(seq 20); do
        opened=$(count_new "$1" "$2" "$3/smtpd\[[0-9]+\]: connect from")
        closed=$(count_new "$1" "$2" "$3/smtpd\[[0-9]+\]: disconnect from")
        ((opened == closed)) && return 0
        sleep 0.1
    done
}

# D. 100 addresses over strict1..3.test, whose MX is the strict listener: it refuses us at the
# first RCPT ("blocked using dnsbl.test"), so the whole batch costs one session there.
refused_strict() {
    local n from sessions
    list_new strict
    for n in $(seq 0 33); do list_add strict "user$n@strict1.test" unknown/blocked; done
    for n in $(seq 0 32); do list_add strict "user$n@strict2.test" unknown/blocked; done
    for n in $(seq 0 32); do list_add strict "user$n@strict3.test" unknown/blocked; done
    from=$(wc -l <"$WORK/postfix.log")
    run_list strict "$WORK/mxknock.toml"
    wait_sessions_closed "$WORK/postfix.log" "$from" postfix/strict2
    expect_list strict
    expect_eq "strict: every detail quotes 'blocked using dnsbl.test'" \
        "$(jq -r .detail "$WORK/strict.jsonl" | grep -c 'blocked using dnsbl\.test' || true)" 100
    sessions=$(count_new "$WORK/postfix.log" "$from" 'postfix/strict2/smtpd\[[0-9]+\]: connect from')
    echo "   strict listener: $sessions session(s), $(count_new "$WORK/postfix.log" "$from" \
        'postfix/strict2/smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT') RCPT(s) refused"
    expect_eq "strict: sessions the strict listener saw for 100 addresses" "$sessions" 1
    expect_eq "strict: sessions mxknock reports" \
        "$(awk '/sessions opened/ { print $3 }' "$WORK/strict.stderr")" 1
    expect_match "strict: the listener saw us as the address listed in dnsbl.test" \
        "$(tail -n +"$((from + 1))" "$WORK/postfix.log")" \
        "postfix/strict2/smtpd\[[0-9]+\]: connect from localhost\[${CLIENT_IP//./\\.}\]"
    expect_match "strict: the refusal came at RCPT, blocked using dnsbl.test" \
        "$(tail -n +"$((from + 1))" "$WORK/postfix.log")" \
        'postfix/strict2/smtpd\[[0-9]+\]: NOQUEUE: reject: RCPT from .*: 554 5\.7\.1 Service unavailable; Client host \[[0-9.]+\] blocked using dnsbl\.test'
    expect_match "strict: the summary counts one host that refused us" \
        "$(cat "$WORK/strict.stderr")" '^  hosts refused us +1$'
    expect_match "strict: the summary names it" "$(cat "$WORK/strict.stderr")" \
        '^    mx\.strict\.test\[127\.0\.0\.12\]: '
}

# The policy listener ("Client host rejected: Access denied" at RCPT): 20 addresses of
# blocked.test, one session.
refused_policy() {
    local n from sessions
    list_new policy
    for n in $(seq 0 19); do list_add policy "user$n@blocked.test" unknown/blocked; done
    from=$(wc -l <"$WORK/postfix.log")
    run_list policy "$WORK/mxknock.toml"
    wait_sessions_closed "$WORK/postfix.log" "$from" postfix/policy
    expect_list policy
    sessions=$(count_new "$WORK/postfix.log" "$from" 'postfix/policy/smtpd\[[0-9]+\]: connect from')
    expect_eq "policy: sessions the policy listener saw for 20 addresses" "$sessions" 1
    expect_match "policy: the summary names strict.users.test as a host that refused us" \
        "$(cat "$WORK/policy.stderr")" '^    strict\.users\.test\[127\.0\.0\.11\]: '
}

# A refusal of one recipient by policy ("Recipient address rejected: Access denied", from
# recipient_access) is that address's alone: the others in the session are checked.
refused_one_recipient() {
    local n
    list_new recipient
    list_add recipient denied@users.test unknown/blocked
    for n in $(seq 220 239); do list_add recipient "user$n@users.test" deliverable/ok; done
    for n in $(seq 80 84); do list_add recipient "nouser$n@users.test" undeliverable/no_such_user; done
    run_list recipient "$WORK/mxknock.toml"
    expect_list recipient
    expect_match "recipient: denied@ quotes the recipient policy" \
        "$(jq -r 'select(.address == "denied@users.test") | .detail' "$WORK/recipient.jsonl")" \
        'Recipient address rejected: Access denied'
    expect_eq "recipient: no host refused us" \
        "$(grep -c 'hosts refused us' "$WORK/recipient.stderr" || true)" 0
}

# check_strict NAME REPUTATION... -- CHECK-ARGS...: with the client's reputation set by
# write_reputation REPUTATION... (dnsmasq reloaded), one `mxknock check` of user0@strict1.test;
# prints its JSON report.
check_strict() {
    local reputation=()
    while [[ "$1" != -- ]]; do reputation+=("$1"); shift; done
    shift
    write_reputation "${reputation[@]}" && reload_dnsmasq || return 1
    mxknock check --json "$@" user0@strict1.test
}

# The hook for later steps, tried once: what the strict listener says as each of our faults is
# fixed in turn (the DNSBL listing, the HELO name, our reverse DNS), one `check` each; then the
# listing is put back.
refused_reputation() {
    local json
    json=$(check_strict clean --)
    expect_eq "reputation: not listed, HELO 'vm' unknown: unknown/blocked" \
        "$(jq -r '"\(.verdict)/\(.reason)"' <<<"$json")" unknown/blocked
    expect_match "reputation: ... by 'Helo command rejected'" "$(jq -r .detail <<<"$json")" \
        'Helo command rejected'
    json=$(check_strict clean none -- --helo mx.users.test)
    expect_eq "reputation: no reverse DNS: unknown/blocked" \
        "$(jq -r '"\(.verdict)/\(.reason)"' <<<"$json")" unknown/blocked
    expect_match "reputation: ... by 'Client host rejected: cannot find your hostname'" \
        "$(jq -r .detail <<<"$json")" 'Client host rejected: cannot find your hostname'
    json=$(check_strict clean -- --helo mx.users.test)
    expect_eq "reputation: not listed, HELO and reverse DNS resolve: deliverable/ok" \
        "$(jq -r '"\(.verdict)/\(.reason)"' <<<"$json")" deliverable/ok
    write_reputation listed && reload_dnsmasq
}

run_refused() {
    say "hosts that refuse us (Postfix's strict listener 127.0.0.12, policy listener 127.0.0.11)"
    refused_strict
    refused_policy
    refused_one_recipient
    refused_reputation
}
