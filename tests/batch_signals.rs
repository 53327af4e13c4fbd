//! `mxknock batch` stopped by a signal: SIGTERM, SIGHUP and SIGINT each end the run like Ctrl-C,
//! with the summary, the count left for `--resume`, and the exit code 128 + the signal.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Starts a slow batch over 300 lab addresses, waits for 20 rows, sends `signal`, and returns
/// (exit code, stderr, rows written).
fn stopped_by(signal: &str) -> (Option<i32>, String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let addresses: Vec<String> = (0..300).map(|i| format!("user{i}@lab.test")).collect();
    std::fs::write(&list, addresses.join("\n")).unwrap();
    let out = dir.path().join("out.csv");
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    let mut child = command
        .args(["batch", "--demo", "--concurrency", "2"])
        .arg(&list)
        .arg("--output")
        .arg(&out)
        .env("MXKNOCK_LAB_LATENCY_MS", "20")
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = || {
        std::fs::read_to_string(&out)
            .map(|t| t.lines().count().saturating_sub(1))
            .unwrap_or(0)
    };
    while rows() < 20 {
        assert!(Instant::now() < deadline, "only {} rows after 30 s", rows());
        assert!(child.try_wait().unwrap().is_none(), "exited early");
        std::thread::sleep(Duration::from_millis(10));
    }
    kill(child.id(), signal);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr, rows())
}

#[test]
fn sigterm_sighup_and_sigint_end_a_batch_with_its_summary_and_what_is_left() {
    for (signal, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let (exit, stderr, rows) = stopped_by(signal);
        assert_eq!(exit, Some(code), "SIG{signal}: {stderr}");
        assert!(stderr.contains("sessions opened"), "SIG{signal}: {stderr}");
        let left = 300 - rows;
        assert!(rows < 300, "the run finished before SIG{signal}");
        assert!(
            stderr.contains(&format!(
                "{left} left: run the same command with --resume to carry on"
            )),
            "SIG{signal}, {rows} rows: {stderr}"
        );
    }
}
