# A real "421 4.3.2" at the greeting: Postfix's postscreen on 127.0.0.14 (master.cf, MX of
# busy.test) hands clients on to a single smtpd process, with at most 5 hand-offs waiting for
# it (postscreen_post_queue_limit=5, the least Postfix allows). hold_busy_listener opens six
# connections of our own: the first holds that smtpd (it has read its 220), the other five then
# wait in postscreen's hand-off queue. From then on postscreen answers every new client "421
# 4.3.2 All server ports are busy" and hangs up, as a server whose ports are all taken does.
# release_busy_listener lets the holders say QUIT, one after the other as smtpd gets to them.
# scenarios.sh calls the two around the busy.test scenario. Sourced by run.sh.

BUSY_IP=127.0.0.14
# The holder in smtpd and the five waiting: postscreen_post_queue_limit + 1.
BUSY_HOLDER_COUNT=6
BUSY_HOLDERS=()

# One holder, run by bash inside the namespace with IP, FILE and RELEASE as $1..$3: connects to
# IP:25, waits for the greeting (60 s at most) and writes it to FILE.greeting, waits for the file
# RELEASE (60 s at most), then sends QUIT and writes the reply to FILE.bye. Bounded throughout,
# so it ends by itself even if nobody releases it.
BUSY_HOLDER=$(
    cat <<'HOLDER'
exec 3<>"/dev/tcp/$1/25" || exit 1
IFS= read -r -t 60 line <&3 || exit 1
printf '%s\n' "${line%$'\r'}" >"$2.greeting"
for _ in $(seq 600); do [[ -e "$3" ]] && break; sleep 0.1; done
printf 'QUIT\r\n' >&3
IFS= read -r -t 10 line <&3 && printf '%s\n' "${line%$'\r'}" >"$2.bye"
exit 0
HOLDER
)

# start_holder N: holder N in the background (its pid remembered, for stop_all too).
start_holder() {
    start "busy.test holder $1" "$WORK/busy-$1.out" bash -c "$BUSY_HOLDER" holder \
        "$BUSY_IP" "$WORK/busy-$1" "$WORK/busy.release"
    BUSY_HOLDERS+=("${PIDS[-1]}")
}

# wait_for WHAT TEST...: runs TEST until it succeeds, 5 s at most; fails WHAT if it never does.
wait_for() {
    local what=$1 _
    shift
    for _ in $(seq 50); do
        "$@" && return 0
        sleep 0.1
    done
    fail "busy.test: $what"
    return 1
}

# all_passed_on_since FROM: whether postscreen has passed on every holder since line FROM of
# the Postfix log (ALLOWLISTED since Postfix 3.6, WHITELISTED before).
all_passed_on_since() {
    local passed
    passed=$(count_new "$WORK/postfix.log" "$1" 'postfix/busy/postscreen\[[0-9]+\]: (ALLOWLISTED|WHITELISTED) \[')
    ((passed >= BUSY_HOLDER_COUNT))
}

hold_busy_listener() {
    local from n
    rm -f "$WORK/busy.release" "$WORK"/busy-[0-9]*.*
    BUSY_HOLDERS=()
    from=$(wc -l <"$WORK/postfix.log")
    start_holder 1
    wait_for "the first holder got no greeting from the smtpd behind postscreen" \
        test -s "$WORK/busy-1.greeting" || return 1
    for n in $(seq 2 "$BUSY_HOLDER_COUNT"); do start_holder "$n"; done
    # Postscreen logs ALLOWLISTED just before it hands the connection on, in the same turn of
    # its event loop: once every holder's line is there, the hand-off queue is full for the
    # next client.
    wait_for "postscreen did not pass every holder on" all_passed_on_since "$from" || return 1
    printf '   busy.test: holder 1 in smtpd (%s), %d more waiting for it\n' \
        "$(cat "$WORK/busy-1.greeting")" $((BUSY_HOLDER_COUNT - 1))
}

release_busy_listener() {
    local pid n greeted=0 said_quit=0
    # The others are greeted only once the first has gone: the queue was full till now.
    for n in $(seq 2 "$BUSY_HOLDER_COUNT"); do
        if [[ -e "$WORK/busy-$n.greeting" ]]; then
            fail "busy.test: holder $n was greeted before the release (the queue was not full)"
        fi
    done
    touch "$WORK/busy.release"
    for pid in "${BUSY_HOLDERS[@]}"; do wait "$pid" 2>/dev/null; done
    BUSY_HOLDERS=()
    for n in $(seq "$BUSY_HOLDER_COUNT"); do
        grep -q '^220 ' "$WORK/busy-$n.greeting" 2>/dev/null && greeted=$((greeted + 1))
        grep -q '^221 ' "$WORK/busy-$n.bye" 2>/dev/null && said_quit=$((said_quit + 1))
    done
    expect_eq "busy.test: holders greeted by smtpd (one by one, after the release)" "$greeted" "$BUSY_HOLDER_COUNT"
    expect_eq "busy.test: holders that said QUIT and got 221" "$said_quit" "$BUSY_HOLDER_COUNT"
}
