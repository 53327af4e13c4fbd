//! `mxknock batch` through the built binary against the embedded lab (`--demo`): output
//! formats, input from a file or standard input, bad rows, resuming after a kill, usage errors
//! and exit codes.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mxknock::export::CSV_COLUMNS;
use serde_json::Value;

/// The binary with the lab, a fixed EHLO name and no greylisting waits; `latency_ms` per reply.
fn mxknock(args: &[&str], latency_ms: u32) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    command
        .args(["batch", "--demo", "--helo", "verifier.lab.test"])
        .args(args)
        .env("MXKNOCK_LAB_LATENCY_MS", latency_ms.to_string())
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        .env("NO_COLOR", "1")
        .env_remove("MXKNOCK_HELO")
        .env_remove("MXKNOCK_FROM")
        .env_remove("MXKNOCK_CONCURRENCY");
    command
}

/// Runs `batch ARGS` with `stdin`; returns (exit code, stdout, stderr).
fn batch(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = mxknock(args, 2)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A usage error exits before reading standard input: a broken pipe here is expected.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The rows of a CSV output: asserts the header comes once, first, and every row is whole.
fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records().map(|r| r.expect("every row parses"));
    let header = records.next().expect("a header");
    assert_eq!(header.iter().collect::<Vec<_>>(), CSV_COLUMNS);
    records
        .map(|record| {
            assert_eq!(record.len(), CSV_COLUMNS.len(), "{record:?}");
            assert_ne!(&record[0], "address", "a second header: {text}");
            CSV_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// address -> (verdict, reason)
fn verdicts(rows: &[HashMap<String, String>]) -> HashMap<String, (String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["address"].clone(),
                (r["verdict"].clone(), r["reason"].clone()),
            )
        })
        .collect()
}

fn pair(verdict: &str, reason: &str) -> (String, String) {
    (verdict.to_string(), reason.to_string())
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn csv_output_has_one_row_per_distinct_address_with_the_right_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "# people\nalice@lab.test\nnobody@lab.test\r\n\nALICE@lab.test\n  anyone@catchall.test\n\
         # more\ncarol@lab.test\nalice@lab.test\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let (code, stdout, stderr) = batch(&[path_str(&list), "--output", path_str(&out)], "");
    assert_eq!(code, 5, "worst is undeliverable; stderr: {stderr}");
    assert!(stdout.is_empty(), "results go to the file: {stdout}");
    let rows = csv_rows(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(rows.len(), 4, "{rows:?}");
    let got = verdicts(&rows);
    assert_eq!(got["alice@lab.test"], pair("deliverable", "ok"));
    assert_eq!(
        got["nobody@lab.test"],
        pair("undeliverable", "no_such_user")
    );
    assert_eq!(got["anyone@catchall.test"], pair("risky", "accept_all"));
    assert_eq!(got["carol@lab.test"], pair("risky", "mailbox_full"));
    let alice = rows
        .iter()
        .find(|r| r["address"] == "alice@lab.test")
        .unwrap();
    assert_eq!(alice["smtp_code"], "250");
    assert_eq!(alice["mx_host"], "mx1.lab.test");
    // The summary counts verdicts, duplicates and the engine's work.
    for needle in [
        "4 checked",
        "addresses/s",
        "deliverable              1",
        "risky                    2",
        "undeliverable            1",
        "duplicates               2",
        "sessions opened",
        "RCPTs sent",
    ] {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
    // No progress bar when standard error is not a terminal.
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
}

#[test]
fn bad_csv_rows_are_reported_by_line_and_do_not_abort() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        "name,email\nAlice,alice@lab.test\nNobody,\nBob,bob@lab.test\nAlso Alice,Alice@Lab.test\n",
    )
    .unwrap();
    let out = dir.path().join("results.csv");
    let (code, _, stderr) = batch(&[path_str(&list), "-o", path_str(&out)], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "mxknock: {}:3: empty address cell",
            list.display()
        )),
        "{stderr}"
    );
    let got = verdicts(&csv_rows(&std::fs::read_to_string(&out).unwrap()));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got["bob@lab.test"], pair("deliverable", "ok"));
    assert!(stderr.contains("bad rows                 1"), "{stderr}");
}

#[test]
fn jsonl_to_standard_output_from_standard_input() {
    let (code, stdout, stderr) = batch(
        &["-", "--format", "jsonl"],
        "# from a pipe\nalice@lab.test\nnobody@lab.test\nalice@lab.test\nnot an address\n",
    );
    assert_eq!(code, 5, "{stderr}");
    let reports: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert_eq!(reports.len(), 3, "{stdout}");
    let by_address: HashMap<&str, &Value> = reports
        .iter()
        .map(|r| (r["address"].as_str().unwrap(), r))
        .collect();
    assert_eq!(by_address["alice@lab.test"]["verdict"], "deliverable");
    assert_eq!(by_address["alice@lab.test"]["smtp"]["code"], 250);
    assert_eq!(by_address["nobody@lab.test"]["reason"], "no_such_user");
    assert_eq!(by_address["not an address"]["reason"], "invalid_syntax");
}

#[test]
fn standard_input_with_an_email_header_is_read_as_csv_and_csv_is_the_default_format() {
    let (code, stdout, stderr) = batch(
        &["-"],
        "# exported\nName,\"E-mail\"\n\"Doe, Jane\",alice@lab.test\nBob,\n",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("mxknock: <stdin>:4: empty address cell"),
        "{stderr}"
    );
    let got = verdicts(&csv_rows(&stdout));
    assert_eq!(got.len(), 1, "{stdout}");
    assert_eq!(got["alice@lab.test"], pair("deliverable", "ok"));
}

#[test]
fn resume_after_a_kill_gives_exactly_one_row_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let mut addresses: Vec<String> = (0..300).map(|i| format!("user{i}@lab.test")).collect();
    addresses.push("alice@lab.test".into());
    std::fs::write(&list, addresses.join("\n")).unwrap();
    let out = dir.path().join("out.csv");
    let args = [
        path_str(&list),
        "--output",
        path_str(&out),
        "--concurrency",
        "4",
    ];

    let mut child = mxknock(&args, 20)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let rows_at_kill = loop {
        let rows = std::fs::read_to_string(&out)
            .map(|t| t.lines().count().saturating_sub(1))
            .unwrap_or(0);
        if rows >= 30 {
            break rows;
        }
        assert!(Instant::now() < deadline, "only {rows} rows after 15 s");
        assert!(child.try_wait().unwrap().is_none(), "exited early");
        std::thread::sleep(Duration::from_millis(10));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        rows_at_kill < addresses.len(),
        "the first run finished before the kill ({rows_at_kill} rows): raise the lab latency"
    );
    // A torn write: half a row at the end.
    let mut file = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    file.write_all(b"user299@lab.test,user299@lab.te").unwrap();
    drop(file);

    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    let output = mxknock(&resume_args, 20).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("cut off an unfinished last row"),
        "{stderr}"
    );
    assert!(stderr.contains("skipped (resume)"), "{stderr}");

    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with('\n'));
    let rows = csv_rows(&text);
    let written: Vec<&str> = rows.iter().map(|r| r["address"].as_str()).collect();
    let distinct: HashSet<&str> = written.iter().copied().collect();
    assert_eq!(distinct.len(), written.len(), "duplicates in the output");
    let expected: HashSet<&str> = addresses.iter().map(String::as_str).collect();
    assert_eq!(distinct, expected, "missing or extra addresses");
    let got = verdicts(&rows);
    assert_eq!(got["alice@lab.test"], pair("deliverable", "ok"));
    assert_eq!(got["user7@lab.test"], pair("undeliverable", "no_such_user"));

    // Resuming a finished file checks nothing, changes nothing and exits 0.
    let output = mxknock(&resume_args, 20).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("0 checked"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}

#[test]
fn resume_appends_to_json_lines_after_cutting_a_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let (code, _, stderr) = batch(&["-", "-o", path_str(&out)], "alice@lab.test\n");
    assert_eq!(code, 0, "{stderr}");
    let first = std::fs::read_to_string(&out).unwrap();
    assert_eq!(first.lines().count(), 1);
    std::fs::write(&out, format!("{first}{{\"address\":\"nobody@lab.te")).unwrap();
    let (code, _, stderr) = batch(
        &["-", "-o", path_str(&out), "--resume"],
        "alice@lab.test\nnobody@lab.test\n",
    );
    assert_eq!(code, 5, "only nobody was checked this time: {stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with(&first), "{text}");
    let addresses: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["address"].to_string())
        .collect();
    assert_eq!(addresses, ["\"alice@lab.test\"", "\"nobody@lab.test\""]);
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let (code, _, stderr) = batch(&["-", "--resume"], "alice@lab.test\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("--output"), "{stderr}");
    let (code, _, stderr) = batch(&["-", "--format", "xml"], "alice@lab.test\n");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("xml") && stderr.contains("jsonl"),
        "{stderr}"
    );
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let (code, _, stderr) = batch(&[path_str(&missing)], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.txt"), "{stderr}");
    // --resume refuses a file it did not write, and leaves it alone.
    let foreign = dir.path().join("contacts.csv");
    std::fs::write(&foreign, "name,email\nann,ann@x.test\nhalf a li").unwrap();
    let (code, _, stderr) = batch(
        &["-", "--output", path_str(&foreign), "--resume"],
        "alice@lab.test\n",
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("contacts.csv"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "name,email\nann,ann@x.test\nhalf a li"
    );
}

#[test]
fn exit_code_follows_the_worst_verdict() {
    let code = |list: &str| {
        let (code, _, stderr) = batch(&["-", "--format", "jsonl"], list);
        (code, stderr)
    };
    for (list, expected) in [
        ("alice@lab.test\nbob@lab.test\n", 0),
        ("alice@lab.test\ncarol@lab.test\n", 3),
        ("carol@lab.test\nalice@greylist.test\nalice@lab.test\n", 4),
        ("alice@greylist.test\nnobody@lab.test\nalice@lab.test\n", 5),
        ("", 0),
    ] {
        let (got, stderr) = code(list);
        assert_eq!(got, expected, "{list:?}: {stderr}");
    }
}
