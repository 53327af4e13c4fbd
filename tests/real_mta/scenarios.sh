# The single-address scenarios of the real-MTA test: each line of scenarios.tsv is one run of
# `mxknock check --json --transcript` inside the namespace, its verdict and reason asserted,
# plus the checks that need more than a verdict. Sourced by run.sh.

# mxknock ARGS...: the release binary inside the namespace, with a clean environment (no
# MXKNOCK_* from the caller) and the test's config file.
mxknock() { mxknock_config "$WORK/mxknock.toml" "$@"; }

# mxknock_config CONFIG ARGS...: the same with another config file. No history: each
# scenario asks its server, even for an address an earlier scenario checked.
mxknock_config() {
    in_ns env -i PATH="$PATH" HOME="$WORK" MXKNOCK_NO_HISTORY=1 "$BIN" "$2" --config "$1" "${@:3}"
}

# The reply that decided a report, as the note quotes it: code, enhanced code, text.
decisive_reply() {
    jq -r 'if .smtp.code then "\(.smtp.code) \(.smtp.enhanced_code // "") \(.smtp.message)"
           else .detail end' <<<"$1" | tr -s ' '
}

transcript_text() { jq -r '.transcript[] | "\(.direction) \(.text)"' <<<"$1"; }

# expect_received NAME TRANSCRIPT REGEX: the server really sent a reply line matching REGEX
# (checked on the wire, in the transcript, not only in mxknock's reading of it; a refusal is
# marked "unexpected" there, as swaks marks it "<**").
expect_received() {
    expect_match "$1: the server sent /$3/" "$2" "^(received|unexpected) $3"
}

# What a scenario needs around its check, by scenario name: before_scenario sets it up (a
# failure skips the check), after_scenario undoes it.
before_scenario() {
    case $1 in
    postscreen-busy) hold_busy_listener ;;
    esac
}

after_scenario() {
    case $1 in
    postscreen-busy) release_busy_listener ;;
    esac
}

# Checks beyond verdict and reason, by scenario name.
extra_checks() {
    local name=$1 json=$2 transcript
    transcript=$(transcript_text "$json")
    case $name in
    postfix-user | exim-user)
        expect_eq "$name: STARTTLS negotiated" "$(jq -r '.smtp.tls != null' <<<"$json")" true
        expect_match "$name: transcript shows RCPT" "$transcript" '^sent RCPT TO:<'
        expect_match "$name: transcript shows QUIT" "$transcript" '^sent QUIT'
        ;;
    postfix-catch-all)
        expect_eq "$name: accept_all flag" "$(jq -r .flags.accept_all <<<"$json")" true ;;
    postgrey-then-*)
        expect_match "$name: first answer was postgrey's 450" "$transcript" 'Greylisted'
        ;;
    implicit-mx)
        expect_eq "$name: implicit MX" "$(jq -r '.mx[0].implicit' <<<"$json")" true ;;
    dead-primary-mx)
        expect_eq "$name: tried the dead primary first" "$(jq -r '.attempts[0].host' <<<"$json")" dead.backup.test
        expect_eq "$name: answered by the backup" "$(jq -r .smtp.host <<<"$json")" mx.users.test
        ;;
    server-override)
        expect_eq "$name: no MX looked up" "$(jq -c .mx <<<"$json")" '[]'
        expect_match "$name: transcript says the MX lookup was skipped" "$transcript" \
            '^info --server 127\.0\.0\.10: MX lookup for users\.test skipped$'
        ;;
    bind-source)
        expect_match "$name: transcript names the source" "$transcript" \
            '^info connecting to mx\.users\.test\[127\.0\.0\.10\]:25 from 127\.0\.0\.30$'
        if log_has "$WORK/postfix.log" 'postfix/smtpd\[[0-9]+\]: connect from [^ ]*\[127\.0\.0\.30\]'; then
            pass "$name: Postfix saw the connection come from 127.0.0.30"
        else
            fail "$name: Postfix logged no connection from 127.0.0.30"
        fi
        ;;
    postfix-bad-syntax)
        expect_received "$name" "$transcript" \
            '553 5\.1\.3 <badsyntax@codes\.test>: Recipient address rejected: The recipient address is not a valid RFC-5321 address$'
        ;;
    exim-recipient-not-found)
        # Exim wraps an ACL message longer than 75 characters into a multi-line reply.
        expect_received "$name" "$transcript" \
            '550-5\.1\.10 RESOLVER\.ADR\.RecipientNotFound; Recipient not found by SMTP$'
        expect_received "$name" "$transcript" '550 5\.1\.10 address lookup$'
        expect_eq "$name: enhanced code as mxknock read it" "$(jq -r .smtp.enhanced_code <<<"$json")" 5.1.10
        ;;
    postfix-recipient-denied)
        expect_received "$name" "$transcript" \
            '554 5\.7\.1 <denied@codes\.test>: Recipient address rejected: Access denied$'
        ;;
    postfix-mailbox-busy)
        expect_received "$name" "$transcript" \
            '450 4\.2\.1 <busy@codes\.test>: Recipient address rejected: Mailbox temporarily unavailable$'
        expect_eq "$name: asked once (no greylisting re-check)" \
            "$(grep -c '^sent RCPT TO:<busy@codes\.test>' <<<"$transcript")" 1
        ;;
    postscreen-busy)
        expect_received "$name" "$transcript" '421 4\.3\.2 All server ports are busy$'
        expect_eq "$name: no EHLO after the 421 greeting" "$(grep -c '^sent EHLO' <<<"$transcript")" 0
        if log_has "$WORK/postfix.log" 'postfix/busy/postscreen\[[0-9]+\]: NOQUEUE: reject: CONNECT from \[127\.0\.0\.1\]:[0-9]+: all server ports busy'; then
            pass "$name: postscreen logged 'all server ports busy' for our connection"
        else
            fail "$name: postscreen logged no 'all server ports busy'"
        fi
        ;;
    opensmtpd-*-user)
        expect_received "$name" "$transcript" '220 mx\.smtpd\.test ESMTP OpenSMTPD$'
        expect_received "$name" "$transcript" '250 2\.1\.5 Destination address valid: Recipient ok$'
        ;;
    opensmtpd-virtual-unknown)
        expect_received "$name" "$transcript" '550 Invalid recipient: <nobody@smtpd\.test>$' ;;
    opensmtpd-expand-unknown)
        expect_received "$name" "$transcript" '524 5\.2\.4 Mailing list expansion problem: <nobody@expand\.smtpd\.test>$' ;;
    opensmtpd-system-unknown)
        expect_received "$name" "$transcript" '550 Invalid recipient: <mxknock-nouser@system\.smtpd\.test>$' ;;
    proxy-open | proxy-auth)
        expect_match "$name: transcript names the proxy" "$transcript" 'via SOCKS5 proxy socks5://'
        if grep -q -- "$PROXY_PASSWORD" <<<"$json"; then
            fail "$name: the proxy password appears in the report"
        else
            pass "$name: the proxy password appears nowhere in the report"
        fi
        ;;
    esac
}

# log_has LOG REGEX: whether LOG gets a line matching REGEX within 2 s (logs are written
# asynchronously).
log_has() {
    local _
    for _ in $(seq 20); do
        grep -Eq "$2" "$1" && return 0
        sleep 0.1
    done
    return 1
}

run_scenarios() {
    say "single checks (scenarios.tsv)"
    render "$CONF/mxknock.toml" "$WORK/mxknock.toml"
    printf '| scenario | address | server reply | verdict / reason |\n|---|---|---|---|\n' >"$WORK/scenarios.md"
    local name address verdict reason args json
    while IFS=$'\t' read -r name address verdict reason args; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        args=${args//@PROXY_USER@/$PROXY_USER}
        args=${args//@PROXY_PASSWORD@/$PROXY_PASSWORD}
        if ! before_scenario "$name"; then
            after_scenario "$name"
            continue
        fi
        # shellcheck disable=SC2086 # the arguments column is split on purpose
        json=$(mxknock check --json --transcript $args "$address")
        after_scenario "$name"
        if ! jq -e . >/dev/null 2>&1 <<<"$json"; then
            fail "$name: no JSON report for $address: $json"
            continue
        fi
        expect_eq "$name: $address" "$(jq -r '"\(.verdict)/\(.reason)"' <<<"$json")" "$verdict/$reason"
        extra_checks "$name" "$json"
        printf '| %s | %s | %s | %s/%s |\n' "$name" "$address" "$(decisive_reply "$json")" \
            "$(jq -r .verdict <<<"$json")" "$(jq -r .reason <<<"$json")" >>"$WORK/scenarios.md"
        echo "$json" >>"$WORK/scenarios.jsonl"
    done <"$HERE/scenarios.tsv"
    injection_check
    cat "$WORK/scenarios.md"
}

# An address with CR LF and an SMTP command in it never reaches a server: it is refused as
# invalid syntax before any connection (the server logs show no DATA either, checked later).
injection_check() {
    local json
    json=$(mxknock check --json $'x@users.test>\r\nDATA\r\n<y@users.test')
    expect_eq "injection: CR LF in an address" "$(jq -r '"\(.verdict)/\(.reason)"' <<<"$json")" undeliverable/invalid_syntax
}
