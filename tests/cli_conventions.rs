//! Conventions users expect of a command-line tool, through the built binary: a closed pipe
//! ends quietly, an explicit `--color always` beats NO_COLOR, `check -` reads standard input.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{mxknock, mxknock_with_stdin};

#[test]
fn a_reader_that_stops_early_ends_the_run_quietly_with_success() {
    // Enough transcript output to fill the pipe, so mxknock is still writing when the reader
    // goes away (as with `| head -1`).
    let addresses: Vec<String> = (0..80).map(|i| format!("ok{i}@lab.test")).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxknock"))
        .args(["check", "--demo", "--transcript"])
        .args(&addresses)
        .env("MXKNOCK_LAB_LATENCY_MS", "2")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut first)
        .expect("a first line");
    // The reader is dropped here: the pipe is closed.
    let output = child.wait_with_output().expect("the binary ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        first.contains("ok0@lab.test") || first.contains("0.0"),
        "{first}"
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        !stderr.contains("Broken pipe") && !stderr.contains("os error 32"),
        "{stderr}"
    );
}

#[test]
fn an_explicit_color_flag_wins_over_no_color() {
    // The common runner sets NO_COLOR=1.
    let (_, stdout, _) = mxknock(&["check", "--demo", "--color", "always", "alice@lab.test"]);
    assert!(stdout.contains("\u{1b}["), "coloured: {stdout:?}");
    let (_, stdout, _) = mxknock(&["check", "--demo", "alice@lab.test"]);
    assert!(!stdout.contains('\u{1b}'), "NO_COLOR alone: {stdout:?}");
}

#[test]
fn check_dash_reads_the_addresses_from_standard_input() {
    let (code, stdout, stderr) = mxknock_with_stdin(
        &["check", "--demo", "--json", "-"],
        "# a list\nalice@lab.test\n\nnobody@lab.test\nalice@lab.test\n",
    );
    assert_eq!(code, 5, "{stdout}{stderr}");
    let reports: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    let got: Vec<(&str, &str)> = reports
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("alice@lab.test", "ok"),
            ("nobody@lab.test", "no_such_user")
        ],
        "in order, duplicates collapsed"
    );
}

#[test]
fn check_dash_names_bad_rows_by_line_and_refuses_an_empty_input() {
    let (_, stdout, stderr) =
        mxknock_with_stdin(&["check", "--demo", "-"], "alice@lab.test\n\u{1}bad\n");
    assert!(stdout.contains("alice@lab.test  deliverable"), "{stdout}");
    assert!(
        stderr.contains("mxknock: <stdin>:2: control character"),
        "{stderr}"
    );
    let (code, stdout, stderr) = mxknock_with_stdin(&["check", "--demo", "-"], "");
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("standard input held none"), "{stderr}");
}
