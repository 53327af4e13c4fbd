//! Running the built binary from the integration tests: a clean environment (no `MXKNOCK_*`
//! variable of the caller's), `NO_COLOR`, the lab answering after 2 ms, no greylisting
//! waits and no history, so every test sees the same defaults.
#![allow(dead_code)] // each test crate uses what it needs

pub mod engine;
pub mod tmux;

use std::process::Command;

/// Runs `mxknock ARGS` with `env` added; returns (exit code, stdout, stderr).
pub fn mxknock_with_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    command
        .args(args)
        .env("MXKNOCK_LAB_LATENCY_MS", "2")
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        // No test reads or writes the machine's own history (`--db` with --demo, or
        // MXKNOCK_NO_HISTORY=0, turns it on for the tests that are about it).
        .env("MXKNOCK_NO_HISTORY", "1")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied());
    let output = command.output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs `mxknock ARGS`; returns (exit code, stdout, stderr).
pub fn mxknock(args: &[&str]) -> (i32, String, String) {
    mxknock_with_env(args, &[])
}

/// Runs `mxknock ARGS` with `stdin` on its standard input; returns (exit code, stdout, stderr).
pub fn mxknock_with_stdin(args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    let mut child = command
        .args(args)
        .env("MXKNOCK_LAB_LATENCY_MS", "2")
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        // No test reads or writes the machine's own history (`--db` with --demo, or
        // MXKNOCK_NO_HISTORY=0, turns it on for the tests that are about it).
        .env("MXKNOCK_NO_HISTORY", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let _ = child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes());
    let output = child.wait_with_output().expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
