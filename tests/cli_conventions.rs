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

/// Writes `text` to a file named `name` in a new temporary directory.
fn list_file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("the list is written");
    (dir, path)
}

/// `batch --format jsonl` over `path` with `extra` arguments: (exit code, (address, reason)
/// pairs, stderr).
fn batch_reasons(path: &std::path::Path, extra: &[&str]) -> (i32, Vec<(String, String)>, String) {
    let mut args = vec!["batch", "--demo", "--format", "jsonl"];
    args.extend_from_slice(extra);
    let path = path.to_str().unwrap();
    args.push(path);
    let (code, stdout, stderr) = mxknock(&args);
    // batch writes each result as it finishes: sort for comparing.
    let mut pairs: Vec<(String, String)> = stdout
        .lines()
        .map(|line| {
            let report: serde_json::Value = serde_json::from_str(line).expect("JSON");
            (
                report["address"].as_str().unwrap().to_string(),
                report["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    (code, pairs, stderr)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect()
}

#[test]
fn semicolon_and_tab_separated_lists_are_sniffed_from_their_header() {
    let expected = pairs(&[
        ("alice@lab.test", "ok"),
        ("nobody@lab.test", "no_such_user"),
    ]);
    let lists = [
        (
            "export.csv",
            "Name;E-Mail;Firma\nAlice;alice@lab.test;\"Acme; Inc\"\nNo One;nobody@lab.test;X\n",
        ),
        (
            "export.csv",
            "Name\tEmail\nAlice\talice@lab.test\nNo One\tnobody@lab.test\n",
        ),
        (
            "export.tsv",
            "id\tmail\n1\talice@lab.test\n2\tnobody@lab.test\n",
        ),
        (
            "notes.txt",
            "email|name\nalice@lab.test|Alice\nnobody@lab.test|No One\n",
        ),
    ];
    for (name, text) in lists {
        let (_dir, path) = list_file(name, text);
        let (code, got, stderr) = batch_reasons(&path, &[]);
        assert_eq!(got, expected, "{name}: {text:?}\n{stderr}");
        assert_eq!(code, 5, "{stderr}");
    }
}

#[test]
fn a_forced_delimiter_wins_over_the_sniff() {
    // No header cell names the address column, and a comma wins the tie: sniffed, the first
    // cell is "alice@lab.test;x".
    let (_dir, path) = list_file("odd.csv", "who;what,else\nalice@lab.test;x,y\n");
    let (_, sniffed, _) = batch_reasons(&path, &[]);
    assert_eq!(sniffed, pairs(&[("alice@lab.test;x", "invalid_syntax")]));
    let (_, forced, stderr) = batch_reasons(&path, &["--delimiter", "semicolon"]);
    assert_eq!(forced, pairs(&[("alice@lab.test", "ok")]), "{stderr}");
    let (code, _, stderr) = mxknock(&[
        "batch",
        "--demo",
        "--delimiter",
        "ab",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("\"ab\" is not a delimiter"), "{stderr}");
}

#[test]
fn check_dash_sniffs_a_semicolon_list_on_standard_input() {
    let (_, stdout, stderr) = mxknock_with_stdin(
        &["check", "--demo", "-"],
        "Name;Email\nAlice;alice@lab.test\n",
    );
    assert!(
        stdout.starts_with("alice@lab.test  deliverable"),
        "{stdout}{stderr}"
    );
}

#[test]
fn annotate_writes_a_semicolon_list_back_with_semicolons() {
    let (dir, list) = list_file("export.csv", "Name;Email\nAlice;alice@lab.test\n");
    let results = dir.path().join("results.csv");
    let (code, _, stderr) = mxknock(&[
        "batch",
        "--demo",
        list.to_str().unwrap(),
        "--output",
        results.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = mxknock(&[
        "annotate",
        list.to_str().unwrap(),
        results.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut lines = stdout.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Name;Email;normalized;verdict;reason"),
        "{stdout}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Alice;alice@lab.test;alice@lab.test;deliverable;ok"),
        "{stdout}"
    );
}

#[test]
fn a_typo_domain_carries_the_suggestion_not_the_disposable_flag() {
    // gmial.com is in the upstream disposable list.
    let (_, stdout, stderr) = mxknock(&["check", "--demo", "--json", "bob@gmial.com"]);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stderr);
    assert_eq!(report["suggestion"], "bob@gmail.com", "{report:#}");
    assert_eq!(report["flags"]["disposable"], false, "{report:#}");
    let (_, stdout, _) = mxknock(&["check", "--demo", "--json", "x@mailinator.com"]);
    assert!(
        stdout.contains("\"disposable\":true"),
        "a real one still is: {stdout}"
    );
}
