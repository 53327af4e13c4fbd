# What the servers themselves logged over the whole run: no DATA ever, no pipelining
# violation, never enough refused RCPTs in one session for Postfix to start its error delays,
# no message accepted by OpenSMTPD, and the proxies really carried the sessions. Sourced by
# run.sh.

check_postfix_log() {
    local log=$WORK/postfix.log
    expect_no_match "Postfix: no session ever sent DATA" "$log" 'disconnect from .* data='
    expect_no_match "Postfix: no message was queued" "$log" 'postfix/qmgr.*from=<'
    expect_no_match "Postfix: never 'too many errors'" "$log" 'too many errors'
    expect_no_match "Postfix: no improper pipelining" "$log" 'improper command pipelining'
    # The port-25 breaker's check dials to the probe listener connect and hang up: only there.
    grep -v ' postfix/probe/' "$log" >"$WORK/postfix-sessions.log"
    expect_no_match "Postfix: no lost connections (but at the probe listener)" "$WORK/postfix-sessions.log" 'lost connection'
    expect_no_match "Postfix: no timeouts" "$log" 'timeout after'
    local worst
    worst=$(grep -Eo ' rcpt=[0-9]+/[0-9]+' "$log" |
        awk -F'[=/]' '{ refused = $3 - $2; if (refused > worst) worst = refused } END { print worst + 0 }')
    expect_le "Postfix: most refused RCPTs in one session (its soft error limit is 10)" "$worst" 8
    local most
    most=$(grep -Eo ' rcpt=[0-9]+/[0-9]+' "$log" | awk -F'[=/]' '{ if ($3 > most) most = $3 } END { print most + 0 }')
    expect_le "Postfix: most RCPTs in one session" "$most" 50
}


check_exim_log() {
    local log=$WORK/exim/mainlog
    expect_no_match "Exim: no message received (no '<=' line)" "$log" ' <= '
    expect_no_match "Exim: no DATA command" "$log" 'C=.*DATA'
    expect_no_match "Exim: no pipelining violation" "$log" 'synchronization error'
    expect_no_match "Exim: no protocol errors" "$log" 'protocol error'
}

# OpenSMTPD runs with -T smtp (servers.sh): every command it reads is logged as "<<< COMMAND",
# every reply as ">>> REPLY", and each session as "smtp connected" ... "smtp disconnected
# reason=...". A message it accepted would add "smtp message msgid=... nrcpt=..." and one
# "smtp envelope evpid=..." line per recipient (and a 250 "Message accepted for delivery").
check_opensmtpd_log() {
    local log=$WORK/opensmtpd.log sessions
    sessions=$(grep -c ' smtp connected address=' "$log" || true)
    # At least the four OpenSMTPD scenarios: an empty log would prove nothing.
    expect_le "OpenSMTPD: sessions logged (at least the scenarios' 4)" 4 "$sessions"
    expect_no_match "OpenSMTPD: no session ever sent DATA (or BDAT)" "$log" ': <<< (DATA|BDAT)'
    expect_no_match "OpenSMTPD: no message was accepted" "$log" \
        ' smtp (message msgid|envelope evpid)=|>>> 250 2\.0\.0 [0-9a-f]+ Message accepted'
    expect_no_match "OpenSMTPD: nothing was queued for delivery" "$log" 'delivery evpid=|mda delivery'
    grep ' smtp disconnected ' "$log" | grep -v ' reason=quit$' >"$WORK/opensmtpd-unclean.log"
    expect_no_match "OpenSMTPD: every session ended with QUIT" "$WORK/opensmtpd-unclean.log" .
}

check_proxy_logs() {
    expect_match "dante (no auth) carried a session to Postfix" "$(cat "$WORK"/danted-1080.log)" '127\.0\.0\.10\.25'
    expect_match "dante (username) carried a session to Postfix" "$(cat "$WORK"/danted-1081.log)" '127\.0\.0\.10\.25'
    expect_match "dante (username) refused the wrong password" "$(cat "$WORK"/danted-1081.log)" 'block|fail|denied'
}

check_server_logs() {
    say "server logs"
    check_postfix_log
    check_exim_log
    check_opensmtpd_log
    check_proxy_logs
}
