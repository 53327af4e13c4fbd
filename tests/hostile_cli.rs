//! A few hostile servers ([`mxknock::lab::hostile`]) through the real binary: `mxknock check
//! --server 127.0.0.1 --smtp-port PORT --timeout 2 --greylist-wait 0 [--json] ADDR...`. Each run has a hard deadline (the child is
//! killed past it, or past [`RUNAWAY`] connections at the server), and each test asserts the
//! exit code, the connection count at the server, that DATA never came, that nothing came after
//! QUIT, and that what the binary printed is valid UTF-8 without raw ESC or NUL bytes.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mxknock::lab::hostile::{Behaviour, HostileServer};

/// Past this the child is killed and the test fails.
const HARD_LIMIT: Duration = Duration::from_secs(60);

/// Connections after which the child is killed as a runaway.
const RUNAWAY: usize = 100;

/// `engine.host_failures_max` (4) plus the other session under way (`per_host` 2).
const GIVE_UP_BOUND: usize = 6;

/// The exit code when the worst verdict is unknown.
const EXIT_UNKNOWN: i32 = 4;

/// The exit code when the worst verdict is undeliverable.
const EXIT_UNDELIVERABLE: i32 = 5;

struct Output {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
    connections: usize,
    killed: Option<&'static str>,
}

/// Runs `mxknock check` against `server` with a clean environment; `extra` goes before the
/// addresses.
async fn check(server: &HostileServer, extra: &[&str], addresses: &[String]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    // Fast retries: the backoff is the only setting without a flag.
    std::fs::write(&config, "[engine]\nretry_backoff = 0.05\n").expect("config");
    let port = server.port().to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    command
        .env("NO_COLOR", "1")
        // Not the lab: keep the machine's own history out of it.
        .env("MXKNOCK_NO_HISTORY", "1")
        .args(["check", "--config", config.to_str().expect("utf-8 path")])
        .args(["--server", "127.0.0.1", "--smtp-port", &port])
        .args(["--timeout", "2", "--greylist-wait", "0"])
        .args(extra)
        .args(addresses)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("the binary starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let stdout = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out.read_to_end(&mut bytes);
        bytes
    });
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    let mut killed = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > HARD_LIMIT {
            killed = Some("hard time limit");
        } else if server.connections() > RUNAWAY {
            killed = Some("runaway connections");
        }
        if killed.is_some() {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = started.elapsed();
    let connections = server.connections();
    server.settle(Duration::from_secs(5)).await;
    Output {
        code: status.and_then(|s| s.code()),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed,
        connections,
        killed,
    }
}

/// The server-side bounds and a clean output; prints a summary line first.
fn assert_bounded(name: &str, server: &HostileServer, out: &Output, max_connections: usize) {
    println!(
        "HOSTILE_CLI {name}: exit={:?} connections={} (bound {max_connections}) elapsed={:.1}s killed={:?}",
        out.code,
        out.connections,
        out.elapsed.as_secs_f64(),
        out.killed
    );
    assert_eq!(
        out.killed,
        None,
        "{name}: killed after {:.1}s and {} connections; stderr: {}",
        out.elapsed.as_secs_f64(),
        out.connections,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.connections <= max_connections,
        "{name}: {} connections, more than {max_connections}",
        out.connections
    );
    assert!(
        !server.saw_data(),
        "{name}: DATA or BDAT reached the server"
    );
    assert_eq!(server.bytes_after_quit(), 0, "{name}: bytes after QUIT");
    assert_eq!(
        server.open_connections(),
        0,
        "{name}: connections left open"
    );
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            std::str::from_utf8(bytes).is_ok(),
            "{name}: {stream} is not UTF-8"
        );
        assert!(
            !bytes.iter().any(|&b| b == 0x1b || b == 0),
            "{name}: raw ESC or NUL on {stream}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// The `reason` of every JSON line on stdout.
fn reasons(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|report| report["reason"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}@hostile.test")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rcpt_421_then_close_ends_unknown_in_bounded_connections() {
    let server = HostileServer::start(Behaviour::RcptTempfailThenClose)
        .await
        .expect("server");
    let addresses = users(5);
    let out = check(&server, &["--json"], &addresses).await;
    assert_bounded("rcpt_421_close", &server, &out, GIVE_UP_BOUND);
    assert_eq!(out.code, Some(EXIT_UNKNOWN));
    let reasons = reasons(&out);
    assert_eq!(reasons.len(), addresses.len(), "one JSON line per address");
    assert!(
        reasons
            .iter()
            .all(|r| r == "temporary_failure" || r == "connection_failed"),
        "{reasons:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_greets_ends_unknown_timeout() {
    let server = HostileServer::start(Behaviour::NoGreeting)
        .await
        .expect("server");
    let addresses = users(5);
    let out = check(&server, &["--json"], &addresses).await;
    assert_bounded("no_greeting", &server, &out, GIVE_UP_BOUND);
    assert_eq!(out.code, Some(EXIT_UNKNOWN));
    let reasons = reasons(&out);
    assert_eq!(reasons.len(), addresses.len(), "one JSON line per address");
    assert!(reasons.iter().all(|r| r == "timeout"), "{reasons:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_bytes_never_reach_the_terminal() {
    let server = HostileServer::start(Behaviour::ControlBytes)
        .await
        .expect("server");
    let addresses = vec![
        "user1@hostile.test".to_string(),
        "nobody2@hostile.test".to_string(),
    ];
    // Text, not JSON: what a terminal would show.
    let out = check(&server, &["--transcript"], &addresses).await;
    // A server that answers: at most one session per address (both may share one).
    assert_bounded("control_bytes", &server, &out, addresses.len());
    assert_eq!(out.code, Some(EXIT_UNDELIVERABLE), "nobody2 does not exist");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(r"\x1b[2J") && stdout.contains(r"\x00"),
        "the escapes are shown, escaped: {stdout}"
    );
}
