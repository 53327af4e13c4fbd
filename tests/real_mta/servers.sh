# Starting the servers of the real-MTA test inside the namespace. Sourced by run.sh.

# The mailboxes that exist: user0..user299 in every Postfix mailbox domain, carol and
# user0..user49 on Exim, carol and user0..user9 of OpenSMTPD's virtual domain smtpd.test (its
# system domain's are the accounts start_opensmtpd creates).
write_mailboxes() {
    local domain n
    for domain in users.test aonly.test backup.test grey.test open.test \
        strict1.test strict2.test strict3.test codes.test; do
        for n in $(seq 0 299); do
            echo "user$n@$domain  $domain/user$n/"
        done
    done >"$WORK/postfix/mailboxes"
    {
        echo "carol:"
        for n in $(seq 0 49); do echo "user$n:"; done
    } >"$WORK/exim/users"
    # OpenSMTPD: the addresses that exist (rcpt-to) and the system account each is delivered to.
    {
        echo "carol@smtpd.test ${OPENSMTPD_USERS[0]}"
        echo "carol@expand.smtpd.test ${OPENSMTPD_USERS[0]}"
        for n in $(seq 0 9); do echo "user$n@smtpd.test ${OPENSMTPD_USERS[1]}"; done
    } >"$WORK/opensmtpd/virtuals"
    awk '{ print $1 }' "$WORK/opensmtpd/virtuals" >"$WORK/opensmtpd/recipients"
}

make_certificate() {
    mkdir -p "$WORK/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.users.test" \
        -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
    chmod 644 "$WORK/tls/key.pem" "$WORK/tls/cert.pem"
}

# dnsmasq also reads the zones generated into $WORK/dnsmasq.d (port25.sh, refused.sh).
start_dnsmasq() {
    render "$CONF/dnsmasq.conf" "$WORK/dnsmasq.conf"
    start dnsmasq "$WORK/dnsmasq.out" dnsmasq --keep-in-foreground --conf-file="$WORK/dnsmasq.conf"
    wait_port 127.0.0.1 53
}

start_postgrey() {
    mkdir -p "$WORK/postgrey"
    : >"$WORK/postgrey/no-whitelist"
    chown -R postgrey "$WORK/postgrey"
    start postgrey "$WORK/postgrey.log" postgrey --inet=127.0.0.1:10023 \
        --dbdir="$WORK/postgrey" --delay=5 --auto-whitelist-clients=0 \
        --whitelist-clients="$WORK/postgrey/no-whitelist" \
        --whitelist-recipients="$WORK/postgrey/no-whitelist" \
        --user=postgrey --group=postgrey
    wait_port 127.0.0.1 10023
}

start_postfix() {
    mkdir -p "$WORK/postfix" "$WORK/postfix-queue" "$WORK/postfix-data"
    cp "$CONF/postfix/master.cf" "$CONF/postfix/recipient_access" \
        "$CONF/postfix/greylisted_domains" "$CONF/postfix/aliases" "$WORK/postfix/"
    render "$CONF/postfix/main.cf" "$WORK/postfix/main.cf"
    chown postfix "$WORK/postfix-data"
    # script(1) gives postfix a terminal, so its own errors reach postfix.out, not syslog.
    in_ns script -qec "postfix -c $WORK/postfix start" /dev/null >"$WORK/postfix.out" 2>&1 ||
        { fail "postfix start: $(cat "$WORK/postfix.out")"; return 1; }
    remember_pidfile "$WORK/postfix-queue/pid/master.pid"
    wait_port 127.0.0.10 25 && wait_port 127.0.0.11 25 && wait_port 127.0.0.12 25 &&
        wait_port 127.0.0.13 25 && wait_port 127.0.0.14 25
}

start_exim() {
    mkdir -p "$WORK/exim/spool"
    render "$CONF/exim.conf" "$WORK/exim.conf"
    chown -R Debian-exim "$WORK/exim"
    start exim "$WORK/exim.out" "$EXIM" -C "$WORK/exim.conf" -bdf
    wait_port 127.0.0.20 25
}

# OpenSMTPD's system domain delivers to real accounts: the throwaway ones of OPENSMTPD_USERS
# (run.sh removes those it created). Its spool (/var/spool/smtpd) and control socket
# (/run/smtpd.sock) are paths compiled into the binary: smtpd runs in a mount namespace of its
# own where $WORK/opensmtpd/spool is /var/spool and a tmpfs is /run, so nothing of it lands
# outside $WORK. -d keeps it in the foreground, logging to stderr; -T smtp logs every SMTP
# line both ways, so server_logs.sh can see that no DATA ever came.
start_opensmtpd() {
    local dir=$WORK/opensmtpd user
    for user in "${OPENSMTPD_USERS[@]}"; do
        if ! id "$user" >/dev/null 2>&1; then
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
            CREATED_OPENSMTPD_USERS+=("$user")
        fi
    done
    mkdir -p "$dir/spool"
    render "$CONF/opensmtpd.conf" "$dir/smtpd.conf"
    "$OPENSMTPD" -n -f "$dir/smtpd.conf" >"$dir/config-check.out" 2>&1 ||
        { fail "opensmtpd config: $(cat "$dir/config-check.out")"; return 1; }
    # shellcheck disable=SC2016 # expanded by the inner shell
    start opensmtpd "$WORK/opensmtpd.log" unshare --mount --propagation private sh -c \
        'mount --bind "$1" /var/spool && mount -t tmpfs -o mode=755 tmpfs /run &&
         exec "$2" -d -T smtp -f "$3"' opensmtpd "$dir/spool" "$OPENSMTPD" "$dir/smtpd.conf"
    wait_port 127.0.0.40 25
}

start_dante() {
    if ! id "$PROXY_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PROXY_USER"
        # shellcheck disable=SC2034 # read by run.sh when it cleans up
        CREATED_PROXY_USER=1
    fi
    echo "$PROXY_USER:$PROXY_PASSWORD" | chpasswd
    render "$CONF/danted.conf" "$WORK/danted-open.conf" PORT=1080 METHOD=none
    render "$CONF/danted.conf" "$WORK/danted-auth.conf" PORT=1081 METHOD=username
    start "dante (no auth)" "$WORK/danted-open.out" danted -f "$WORK/danted-open.conf"
    start "dante (username)" "$WORK/danted-auth.out" danted -f "$WORK/danted-auth.conf"
    wait_port 127.0.0.1 1080 && wait_port 127.0.0.1 1081
}

start_servers() {
    say "starting dnsmasq, postgrey, Postfix, Exim, OpenSMTPD, dante"
    mkdir -p "$WORK/postfix" "$WORK/exim" "$WORK/opensmtpd"
    write_mailboxes
    make_certificate
    start_dnsmasq && start_postgrey && start_postfix && start_exim && start_opensmtpd &&
        start_dante
}
