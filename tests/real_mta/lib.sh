# Helpers for run.sh: logging, assertions, templates and the cleanup of everything started.
# Sourced, not run. Expects WORK (the run's scratch directory) and NS (the namespace) to be set.

PASSED=0
FAILED=0
PIDS=()

say() { printf '== %s\n' "$*"; }

pass() {
    PASSED=$((PASSED + 1))
    printf 'ok    %s\n' "$*"
}

fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL  %s\n' "$*"
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
    if [[ "$2" == "$3" ]]; then pass "$1: $2"; else fail "$1: got '$2', expected '$3'"; fi
}

# expect_match WHAT TEXT REGEX (extended)
expect_match() {
    if grep -Eq -- "$3" <<<"$2"; then pass "$1"; else fail "$1: no match for /$3/ in: $2"; fi
}

# expect_no_match WHAT FILE REGEX: the file (a server log) holds no line matching REGEX.
expect_no_match() {
    local hits
    hits=$(grep -Ec -- "$3" "$2" || true)
    if [[ "$hits" == 0 ]]; then pass "$1"; else fail "$1: $hits line(s) match /$3/ in $2"; fi
}

# expect_le WHAT ACTUAL LIMIT
expect_le() {
    if (($2 <= $3)); then pass "$1: $2 <= $3"; else fail "$1: $2 > $3"; fi
}

# render TEMPLATE DEST: copies a config template, replacing @WORK@ and any @NAME@ given as
# NAME=value arguments after DEST.
render() {
    local template=$1 dest=$2
    shift 2
    local script="s|@WORK@|$WORK|g"
    local pair
    for pair in "$@"; do
        script+=";s|@${pair%%=*}@|${pair#*=}|g"
    done
    sed "$script" "$template" >"$dest"
}

# in_ns CMD...: runs a command inside the test namespace.
in_ns() { ip netns exec "$NS" "$@"; }

# start NAME LOGFILE CMD...: starts a foreground daemon inside the namespace, remembers its pid.
start() {
    local name=$1 log=$2
    shift 2
    ip netns exec "$NS" "$@" >>"$log" 2>&1 &
    PIDS+=("$!")
    printf '   started %s (pid %s)\n' "$name" "$!"
}

# remember_pidfile FILE: a daemon that forks records its pid in FILE; remember it.
remember_pidfile() {
    local file=$1 tries=0
    while [[ ! -s "$file" ]] && ((tries < 50)); do
        sleep 0.1
        tries=$((tries + 1))
    done
    if [[ -s "$file" ]]; then
        PIDS+=("$(tr -dc '0-9' <"$file")")
    else
        fail "no pid file $file"
    fi
}

# wait_port IP PORT: waits until something listens on IP:PORT inside the namespace (asking
# the kernel, not connecting, so the servers' logs hold only mxknock's sessions).
wait_port() {
    local tries=0
    until in_ns ss -Hltn "sport = :$2" | grep -q "$1:$2"; do
        tries=$((tries + 1))
        if ((tries > 100)); then
            fail "nothing listens on $1:$2"
            return 1
        fi
        sleep 0.1
    done
}

# stop_all: stops every daemon by pid (TERM, then KILL), then anything else left in the
# namespace, then removes the namespace and its resolv.conf.
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 50); do
        local alive=0
        for pid in "${PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        ((alive == 0)) && break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    if ip netns list 2>/dev/null | grep -qw "$NS"; then
        for pid in $(ip netns pids "$NS" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns delete "$NS" 2>/dev/null || true
    fi
    rm -rf "/etc/netns/$NS"
}
