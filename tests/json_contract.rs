//! The JSON report contract, frozen: one full `check --json --transcript` object from the
//! embedded lab as an insta snapshot (every field name, in the order written, with the values
//! that vary from run to run replaced), and `"schema_version": 1` first on every JSON line that
//! `check --json` and `batch --format jsonl` write. A renamed or removed field fails here; the
//! rule for changing the contract is `JSON_SCHEMA_VERSION`'s.

mod common;

use common::{mxknock, mxknock_with_stdin};
use mxknock::export::JSON_SCHEMA_VERSION;
use serde_json::Value;

/// Replaces what differs from run to run: the lab server's port, every `*_ms` time and
/// `checked_at`.
/// (serde_json's `preserve_order`, on for the tests, keeps the fields in the order written.)
fn redact(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::Object(fields) => {
            for (name, value) in fields.iter_mut() {
                let placeholder = match name.as_str() {
                    "port" => "[port]",
                    n if n.ends_with("_ms") => "[ms]",
                    _ => "",
                };
                if name == "checked_at" && value.is_string() {
                    *value = "[time]".into();
                } else if value.is_number() && !placeholder.is_empty() {
                    *value = placeholder.into();
                } else {
                    redact(value);
                }
            }
        }
        _ => {}
    }
}

/// Keeps only the first transcript line of each direction: every field of a line shows,
/// without freezing the whole conversation's wording.
fn shorten_transcript(report: &mut Value) {
    let Some(Value::Array(lines)) = report.get_mut("transcript") else {
        return;
    };
    let mut seen = Vec::new();
    lines.retain(|line| {
        let direction = line["direction"].as_str().unwrap_or_default().to_string();
        let first = !seen.contains(&direction);
        seen.push(direction);
        first
    });
}

/// The first line of standard output of `mxknock ARGS`, which must be JSON.
fn first_json_line(args: &[&str]) -> String {
    let (_, stdout, stderr) = mxknock(args);
    stdout
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no output; stderr: {stderr}"))
        .to_string()
}

#[test]
fn a_full_check_report_keeps_its_fields() {
    // A deliverable role account at a known provider, over STARTTLS: flags, provider, TLS
    // and the transcript are all filled in.
    let line = first_json_line(&[
        "check",
        "--demo",
        "--json",
        "--transcript",
        "--helo",
        "verifier.lab.test",
        "postmaster@google.providers.test",
    ]);
    let prefix = format!("{{\"schema_version\":{JSON_SCHEMA_VERSION},\"address\":");
    assert!(line.starts_with(&prefix), "{line}");
    let mut report: Value = serde_json::from_str(&line).unwrap();
    let fields: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(fields[0], "schema_version", "order kept: {fields:?}");
    redact(&mut report);
    shorten_transcript(&mut report);
    insta::assert_snapshot!(serde_json::to_string_pretty(&report).unwrap());
}

#[test]
fn every_batch_json_line_carries_the_schema_version() {
    let (_, stdout, stderr) = mxknock_with_stdin(
        &[
            "batch",
            "--demo",
            "-",
            "--format",
            "jsonl",
            "--helo",
            "verifier.lab.test",
        ],
        "alice@lab.test\nnobody@lab.test\nnot an address\n",
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}{stderr}");
    for line in lines {
        assert!(line.starts_with("{\"schema_version\":1,"), "{line}");
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(report["schema_version"], 1);
    }
}
