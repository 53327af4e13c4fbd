# The batch part of the real-MTA test: a list of a few hundred addresses over every domain,
# checked by one `mxknock batch` run; every result asserted, and the sessions it opened
# counted at the servers. Sourced by run.sh.

# write_batch_list: the list (with one malformed line and one duplicate) and, beside it, the
# expected verdict/reason of every distinct line.
write_batch_list() {
    local list=$WORK/batch.txt expected=$WORK/batch.expected n
    : >"$list"
    : >"$expected"
    add() { echo "$1" >>"$list"; printf '%s\t%s\n' "$1" "$2" >>"$expected"; }
    for n in $(seq 10 209); do add "user$n@users.test" deliverable/ok; done
    for n in $(seq 0 59); do add "nouser$n@users.test" undeliverable/no_such_user; done
    for n in $(seq 0 29); do add "anyone$n@catchall.test" risky/accept_all; done
    for n in $(seq 10 24); do add "user$n@grey.test" deliverable/ok; done
    for n in $(seq 10 14); do add "nouser$n@grey.test" undeliverable/no_such_user; done
    for n in $(seq 0 29); do add "user$n@exim.test" deliverable/ok; done
    for n in $(seq 0 9); do add "nouser$n@exim.test" undeliverable/no_such_user; done
    for n in $(seq 10 19); do add "user$n@aonly.test" deliverable/ok; done
    for n in $(seq 0 1); do add "nouser$n@aonly.test" undeliverable/no_such_user; done
    for n in $(seq 10 19); do add "user$n@backup.test" deliverable/ok; done
    add "someone@nullmx.test" undeliverable/null_mx
    add "someone@nosuch.test" undeliverable/no_such_domain
    add "this is not an address" undeliverable/invalid_syntax
    echo "user10@users.test" >>"$list"
}

# count_new LOG FROM REGEX: lines matching REGEX after line FROM of LOG.
count_new() { tail -n +"$(($2 + 1))" "$1" | grep -Ec -- "$3" || true; }

# most_at_once: the most smtpd sessions open at once in a Postfix log on stdin.
most_at_once() {
    awk '/postfix\/smtpd\[[0-9]+\]: connect from/ { open++; if (open > most) most = open }
         /postfix\/smtpd\[[0-9]+\]: disconnect from/ { open-- }
         END { print most + 0 }'
}

run_batch() {
    say "batch"
    write_batch_list
    local postfix_from exim_from expected_count
    postfix_from=$(wc -l <"$WORK/postfix.log")
    exim_from=$(wc -l <"$WORK/exim/mainlog")
    expected_count=$(wc -l <"$WORK/batch.expected")
    mxknock batch "$WORK/batch.txt" --format jsonl --output "$WORK/batch.jsonl" \
        >"$WORK/batch.stdout" 2>"$WORK/batch.stderr"
    echo "   batch exit code $?"
    cat "$WORK/batch.stderr"

    expect_eq "batch: one result per distinct address" "$(wc -l <"$WORK/batch.jsonl")" "$expected_count"
    local address want got wrong=0
    while IFS=$'\t' read -r address want; do
        got=$(jq -r --arg a "$address" 'select(.address == $a) | "\(.verdict)/\(.reason)"' "$WORK/batch.jsonl")
        if [[ "$got" != "$want" ]]; then
            fail "batch: $address: got '$got', expected '$want'"
            wrong=$((wrong + 1))
        fi
    done <"$WORK/batch.expected"
    ((wrong == 0)) && pass "batch: all $expected_count verdicts and reasons as expected"
    expect_match "batch: the duplicate is counted" "$(cat "$WORK/batch.stderr")" 'duplicates +1$'

    local reported postfix_sessions exim_sessions
    reported=$(awk '/sessions opened/ { print $3 }' "$WORK/batch.stderr")
    postfix_sessions=$(count_new "$WORK/postfix.log" "$postfix_from" 'postfix/smtpd\[[0-9]+\]: connect from')
    exim_sessions=$(count_new "$WORK/exim/mainlog" "$exim_from" 'SMTP connection from .*TCP/IP connection count')
    echo "   sessions: mxknock reports $reported; Postfix logged $postfix_sessions, Exim $exim_sessions"
    expect_eq "batch: sessions reported = sessions the servers saw" "$reported" "$((postfix_sessions + exim_sessions))"
    expect_le "batch: sessions per 100 addresses" "$((100 * reported / expected_count))" 15
    local most
    most=$(tail -n +"$((postfix_from + 1))" "$WORK/postfix.log" | most_at_once)
    expect_le "batch: most sessions at once on Postfix's 127.0.0.10 (five domains, three MX names)" "$most" 2
    most=$(tail -n +"$((exim_from + 1))" "$WORK/exim/mainlog" |
        grep -Eo 'TCP/IP connection count = [0-9]+' | awk '{ print $5 }' | sort -n | tail -1)
    # Exim logs, at each accept, how many of its children are alive; a child whose session
    # has just ended (QUIT answered, socket closed) still counts until the daemon reaps it,
    # so a new session within those milliseconds reads one more than were open (seen once in
    # two runs). Postfix's count above comes from connect/disconnect lines and stays exact.
    expect_le "batch: most sessions at once on Exim (its count includes a child not yet reaped)" "${most:-0}" 3
}

# A recipient refused by policy ("554 5.7.1 <denied@codes.test>: Recipient address rejected:
# Access denied", recipient_access) beside real users of its domain and an unknown one: the
# refusal is that address's alone. The users asked after it keep their own answers (deliverable),
# and no host is counted as refusing us. mxknock asks a domain's addresses in no fixed order, so
# four such recipients (denied, denied2..4) sit among twenty users: that some user is asked after
# the first refusal is then all but certain (all four last: 1 run in 10626), and the Postfix log
# (INFO "RCPT seen" for every other codes.test recipient) shows it.
run_batch_recipient_policy() {
    say "batch: recipients refused by policy beside real users of their domain (codes.test)"
    local n from after
    list_new codes
    list_add codes denied@codes.test unknown/blocked
    for n in 2 3 4; do list_add codes "denied$n@codes.test" unknown/blocked; done
    for n in $(seq 0 19); do list_add codes "user$n@codes.test" deliverable/ok; done
    list_add codes nouser0@codes.test undeliverable/no_such_user
    from=$(wc -l <"$WORK/postfix.log")
    run_list codes "$WORK/mxknock.toml"
    wait_sessions_closed "$WORK/postfix.log" "$from" postfix
    expect_list codes
    expect_match "codes: denied@ quotes the recipient policy" \
        "$(jq -r 'select(.address == "denied@codes.test") | .detail' "$WORK/codes.jsonl")" \
        '554 5\.7\.1 <denied@codes\.test>: Recipient address rejected: Access denied$'
    expect_eq "codes: no host refused us" "$(grep -c 'hosts refused us' "$WORK/codes.stderr" || true)" 0
    after=$(tail -n +"$((from + 1))" "$WORK/postfix.log" | awk '
        /postfix\/smtpd\[[0-9]+\]: .*reject: RCPT .*: Access denied; from=<[^>]*> to=<denied[0-9]*@codes\.test>/ { refused = 1 }
        refused && /postfix\/smtpd\[[0-9]+\]: .*RCPT seen; from=<[^>]*> to=<user[0-9]+@codes\.test>/ { after++ }
        END { print after + 0 }')
    echo "   users asked after the first policy refusal: $after of 20"
    expect_le "codes: some user was asked after the first policy refusal" 1 "$after"
}

# The lists of port25.sh and refused.sh: $WORK/NAME.txt, with NAME.expected beside it (address,
# tab, verdict/reason) where every result is known in advance.

# run_list NAME CONFIG [ARGS...]: `mxknock batch` over $WORK/NAME.txt with CONFIG, results in
# NAME.jsonl, its stderr (the summary) in NAME.stderr, printed; sets LIST_STATUS (the exit
# code) and LIST_MS (how long it took, in milliseconds).
LIST_STATUS=0
LIST_MS=0
run_list() {
    local name=$1 config=$2 started
    shift 2
    started=$(date +%s%N)
    mxknock_config "$config" batch "$WORK/$name.txt" --format jsonl --output "$WORK/$name.jsonl" \
        "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
    LIST_STATUS=$?
    LIST_MS=$((($(date +%s%N) - started) / 1000000))
    printf '   %s: exit code %s after %d.%03d s\n' "$name" "$LIST_STATUS" $((LIST_MS / 1000)) $((LIST_MS % 1000))
    sed 's/^/   | /' "$WORK/$name.stderr"
}

# rows NAME VERDICT/REASON: how many results of NAME have that verdict and reason.
rows() {
    jq -r '"\(.verdict)/\(.reason)"' "$WORK/$1.jsonl" | grep -cxF -- "$2" || true
}

# expect_list NAME: one result per line of NAME.expected, each with its verdict and reason.
expect_list() {
    local name=$1 expected_count address want got wrong=0
    expected_count=$(wc -l <"$WORK/$name.expected")
    expect_eq "$name: one result per address" "$(wc -l <"$WORK/$name.jsonl")" "$expected_count"
    while IFS=$'\t' read -r address want; do
        got=$(jq -r --arg a "$address" 'select(.address == $a) | "\(.verdict)/\(.reason)"' "$WORK/$name.jsonl")
        if [[ "$got" != "$want" ]]; then
            ((wrong < 10)) && fail "$name: $address: got '$got', expected '$want'"
            wrong=$((wrong + 1))
        fi
    done <"$WORK/$name.expected"
    if ((wrong == 0)); then
        pass "$name: all $expected_count verdicts and reasons as expected"
    elif ((wrong > 10)); then
        fail "$name: $((wrong - 10)) more addresses not as expected"
    fi
}

# list_add NAME ADDRESS VERDICT/REASON: one more line of NAME.txt and NAME.expected.
list_add() {
    echo "$2" >>"$WORK/$1.txt"
    printf '%s\t%s\n' "$2" "$3" >>"$WORK/$1.expected"
}

# list_new NAME: empty NAME.txt and NAME.expected.
list_new() { : >"$WORK/$1.txt"; : >"$WORK/$1.expected"; }
