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
    expect_le "batch: most sessions at once on Exim" "${most:-0}" 2
}
