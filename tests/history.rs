//! The verification history through the built binary, against the embedded lab: results
//! reused within `history.reuse_for` (and said so), `--fresh`, unknown results never reused,
//! `history ADDR|@DOMAIN` with the verdict changes marked, `history import`, two batches on one
//! database at once, kill -9 in the middle of a batch, a file that is not a history moved
//! aside, a newer schema refused, and `batch --shard` splitting a list exactly.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::mxknock_with_env;
use serde_json::Value;

/// The history on (the common runner turns it off).
const HISTORY_ON: (&str, &str) = ("MXKNOCK_NO_HISTORY", "0");

/// The lab's bulk domains `bulk0.test` .. `bulk9.test` (2 to 9: `ok*` users exist).
const BULK: (&str, &str) = ("MXKNOCK_LAB_BULK_DOMAINS", "10");

/// `mxknock ARGS --db DB` with the history on; (code, stdout, stderr).
fn with_db(db: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--db", db.to_str().unwrap()]);
    mxknock_with_env(&all, &[HISTORY_ON, BULK])
}

/// `check --demo --json ADDRESSES --db DB EXTRA`: the reports by address.
fn check(db: &Path, addresses: &[&str], extra: &[&str]) -> BTreeMap<String, Value> {
    let mut args = vec!["check", "--demo", "--json"];
    args.extend_from_slice(addresses);
    args.extend_from_slice(extra);
    let (_, stdout, stderr) = with_db(db, &args);
    let reports: BTreeMap<String, Value> = stdout
        .lines()
        .map(|line| {
            let report: Value = serde_json::from_str(line).expect("JSON");
            (report["address"].as_str().unwrap().to_string(), report)
        })
        .collect();
    assert_eq!(reports.len(), addresses.len(), "{stdout}{stderr}");
    reports
}

/// The history's checks of `target` as JSON lines (`history --json`).
fn past(db: &Path, target: &str) -> Vec<Value> {
    let (code, stdout, stderr) = with_db(db, &["history", target, "--json", "--limit", "100"]);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn db_in(dir: &Path) -> PathBuf {
    dir.join("history.sqlite")
}

#[test]
fn a_recent_result_is_reused_and_says_so_and_fresh_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let first = check(&db, &["alice@lab.test", "nobody@lab.test"], &[]);
    for report in first.values() {
        assert_eq!(report["from_history"], false);
        assert!(report["checked_at"].as_str().unwrap().ends_with('Z'));
    }
    let second = check(
        &db,
        &["alice@lab.test", "nobody@lab.test"],
        &["--transcript"],
    );
    for (address, report) in &second {
        assert_eq!(report["from_history"], true, "{address}");
        assert_eq!(
            report["checked_at"], first[address]["checked_at"],
            "{address}"
        );
        assert_eq!(report["verdict"], first[address]["verdict"]);
        let lines = report["transcript"].as_array().unwrap();
        let said = lines.iter().any(|l| {
            l["text"]
                .as_str()
                .unwrap()
                .starts_with("from history, checked")
        });
        assert!(said, "the transcript says so: {lines:?}");
        assert!(
            !lines.iter().any(|l| l["direction"] == "sent"),
            "no SMTP command was sent: {lines:?}"
        );
    }
    let (_, text, _) = with_db(&db, &["check", "--demo", "alice@lab.test"]);
    assert!(text.contains("(from history, checked"), "{text}");
    // Reused results are not recorded again; --fresh asks and records.
    assert_eq!(past(&db, "alice@lab.test").len(), 1);
    let fresh = check(&db, &["alice@lab.test"], &["--fresh"]);
    assert_eq!(fresh["alice@lab.test"]["from_history"], false);
    assert_eq!(past(&db, "alice@lab.test").len(), 2);
}

#[test]
fn a_batch_answered_from_history_opens_no_session() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let list = dir.path().join("list.txt");
    let addresses: Vec<String> = (0..40)
        .map(|i| format!("ok{i}@bulk{}.test", 2 + i % 8))
        .collect();
    std::fs::write(&list, addresses.join("\n")).unwrap();
    let list = list.to_str().unwrap();
    let (_, first, stderr) = with_db(&db, &["batch", "--demo", list]);
    assert_eq!(first.lines().count(), 41, "{stderr}");
    let (_, second, stderr) = with_db(&db, &["batch", "--demo", list]);
    assert_eq!(second.lines().count(), 41);
    let summary_row = |name: &str| -> usize {
        let row = stderr
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in {stderr}"));
        row.split_whitespace().last().unwrap().parse().unwrap()
    };
    assert_eq!(summary_row("from history"), 40, "{stderr}");
    assert_eq!(summary_row("sessions opened"), 0, "{stderr}");
    assert!(
        second.lines().skip(1).all(|row| row.ends_with(",true")),
        "{second}"
    );
}

#[test]
fn unknown_results_are_never_reused_and_an_age_of_zero_reuses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    check(&db, &["alice@greylist.test", "alice@lab.test"], &[]);
    let again = check(&db, &["alice@greylist.test"], &[]);
    assert_eq!(again["alice@greylist.test"]["verdict"], "unknown");
    assert_eq!(again["alice@greylist.test"]["from_history"], false);
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[history]\nreuse_for = 0\n").unwrap();
    let zero = check(
        &db,
        &["alice@lab.test"],
        &["--config", config.to_str().unwrap()],
    );
    assert_eq!(zero["alice@lab.test"]["from_history"], false);
}

#[test]
fn history_lists_checks_newest_first_with_changes_marked_and_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    check(&db, &["alice@lab.test", "nobody@lab.test"], &[]);
    // The same address with another answer: asked of the lab's catch-all server.
    check(
        &db,
        &["alice@lab.test"],
        &["--fresh", "--server", "127.0.0.12"],
    );
    let (code, text, stderr) = with_db(&db, &["history", "alice@lab.test"]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let json = past(&db, "alice@lab.test");
    assert_eq!(json[0]["report"]["verdict"], "risky", "newest first");
    assert_eq!(json[1]["report"]["verdict"], "deliverable");
    assert!(
        lines[0].contains("risky") && lines[0].contains("<- changed (was deliverable)"),
        "{text}"
    );
    assert!(!lines[1].contains("changed"), "{text}");
    let (_, domain, _) = with_db(&db, &["history", "@lab.test"]);
    assert!(
        domain.starts_with("lab.test: MX 10 mx1.lab.test"),
        "{domain}"
    );
    assert!(domain.contains("nobody@lab.test") || domain.contains("no_such_user"));
    let (_, with_transcript, _) = with_db(&db, &["history", "nobody@lab.test", "--transcript"]);
    assert!(
        with_transcript.contains("RCPT TO:<nobody@lab.test>"),
        "{with_transcript}"
    );
    assert!(
        with_transcript.contains("550 5.1.1 <nobody@lab.test>: Recipient"),
        "{with_transcript}"
    );
    let stored = past(&db, "nobody@lab.test");
    assert_eq!(stored[0]["route"], "lab");
    assert_eq!(stored[0]["report"]["reason"], "no_such_user");
    let (_, none, _) = with_db(&db, &["history", "stranger@lab.test"]);
    assert!(none.contains("no checks of stranger@lab.test"), "{none}");
}

#[test]
fn import_loads_a_batch_output_once() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "alice@lab.test\nnobody@lab.test\ncarol@lab.test\n").unwrap();
    let output = dir.path().join("out.jsonl");
    // A run elsewhere (no history here), then its output imported.
    let (_, _, stderr) = common::mxknock(&[
        "batch",
        "--demo",
        list.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    let mut text = std::fs::read_to_string(&output).unwrap();
    assert_eq!(text.lines().count(), 3, "{stderr}");
    text.push_str("this is not a report\n");
    std::fs::write(&output, text).unwrap();
    let db = db_in(dir.path());
    let out = output.to_str().unwrap();
    let (code, _, stderr) = with_db(&db, &["history", "import", out]);
    assert_eq!(code, 2, "a bad line is reported: {stderr}");
    assert!(stderr.contains("out.jsonl:4: not a report"), "{stderr}");
    assert!(stderr.contains("imported 3 new checks of 3"), "{stderr}");
    let (_, _, stderr) = with_db(&db, &["history", "import", out]);
    assert!(stderr.contains("imported 0 new checks of 3 "), "{stderr}");
    let carol = past(&db, "carol@lab.test");
    assert_eq!(carol.len(), 1);
    assert_eq!(carol[0]["report"]["reason"], "mailbox_full");
    assert!(
        carol[0]["route"]
            .as_str()
            .unwrap()
            .starts_with("imported from")
    );
    // An imported result is reused like any other.
    let reused = check(&db, &["carol@lab.test"], &[]);
    assert_eq!(reused["carol@lab.test"]["from_history"], true);
}

#[test]
fn the_demo_keeps_out_of_the_real_history_unless_a_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap();
    let env = [
        HISTORY_ON,
        ("HOME", home),
        ("XDG_DATA_HOME", home),
        ("XDG_CONFIG_HOME", home),
    ];
    let (code, _, stderr) = mxknock_with_env(&["check", "--demo", "alice@lab.test"], &env);
    assert_eq!(code, 0, "{stderr}");
    assert!(!dir.path().join("mxknock").exists(), "no history made");
    let (_, _, _) = mxknock_with_env(&["check", "--demo", "--no-history", "alice@lab.test"], &env);
    assert!(!dir.path().join("mxknock").exists());
}

#[test]
fn a_file_that_is_not_a_history_is_moved_aside_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    std::fs::write(
        &db,
        b"this was someone's notes, not a database\n".repeat(200),
    )
    .unwrap();
    let (code, _, stderr) = with_db(&db, &["check", "--demo", "alice@lab.test"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("not an SQLite database"), "{stderr}");
    assert!(stderr.contains("moved to"), "{stderr}");
    let aside: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".unreadable-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept = std::fs::read(&aside[0]).unwrap();
    assert!(
        kept.starts_with(b"this was someone's notes"),
        "kept as it was"
    );
    assert_eq!(past(&db, "alice@lab.test").len(), 1, "a new history works");

    // Another program's SQLite database.
    let other = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch(
        "CREATE TABLE invoices (id INTEGER, total REAL); INSERT INTO invoices VALUES (1, 9.5);",
    )
    .unwrap();
    drop(conn);
    let (code, _, stderr) = with_db(&other, &["check", "--demo", "alice@lab.test"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("an SQLite database of another program"),
        "{stderr}"
    );
}

#[test]
fn a_history_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    with_db(&db, &["check", "--demo", "alice@lab.test"]);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let (code, _, stderr) = with_db(&db, &["check", "--demo", "alice@lab.test"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("written by a newer mxknock"), "{stderr}");
    assert!(stderr.contains("--no-history"), "{stderr}");
}

/// A batch child over `list` writing `output`, on `db`, with the lab answering after
/// `latency_ms`.
fn batch_child(db: &Path, list: &Path, output: &Path, latency_ms: &str) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    command
        .args(["batch", "--demo", "--concurrency", "8"])
        .arg(list)
        .arg("--output")
        .arg(output)
        .arg("--db")
        .arg(db)
        .env("MXKNOCK_LAB_LATENCY_MS", latency_ms)
        .env(BULK.0, BULK.1)
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// A list of `n` existing addresses (`ok{first}` on) over eight lab bulk domains.
fn bulk_list(dir: &Path, name: &str, first: usize, n: usize) -> PathBuf {
    let path = dir.join(name);
    let rows: Vec<String> = (0..n)
        .map(|i| format!("ok{}@bulk{}.test", first + i, 2 + i % 8))
        .collect();
    std::fs::write(&path, rows.join("\n")).unwrap();
    path
}

#[test]
fn two_batches_on_one_database_at_once_both_finish_and_all_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let a = bulk_list(dir.path(), "a", 0, 300);
    let b = bulk_list(dir.path(), "b", 1000, 300);
    let children = [
        batch_child(&db, &a, &dir.path().join("a.csv"), "1"),
        batch_child(&db, &b, &dir.path().join("b.csv"), "1"),
    ];
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("locked"), "{stderr}");
        assert!(
            !stderr.contains("mxknock: history"),
            "no history problem: {stderr}"
        );
        assert!(output.status.code().is_some_and(|c| c != 1), "{stderr}");
    }
    for name in ["a", "b"] {
        let rows = std::fs::read_to_string(dir.path().join(format!("{name}.csv"))).unwrap();
        assert_eq!(rows.lines().count(), 301, "{name}");
        let deliverable = rows.lines().filter(|r| r.contains(",deliverable,")).count();
        assert_eq!(deliverable, 300, "{name}: {rows}");
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(DISTINCT normalized) FROM checks", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, 600);
}

#[test]
fn kill_9_in_a_batch_loses_at_most_the_uncommitted_rows_and_the_history_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let list = bulk_list(dir.path(), "k", 0, 3000);
    let output = dir.path().join("k.csv");
    let mut child = batch_child(&db, &list, &output, "5");
    let started = Instant::now();
    loop {
        let rows = std::fs::read_to_string(&output)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if rows > 1200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let written = std::fs::read_to_string(&output).unwrap();
    let complete_rows = written.lines().count() - 1;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM checks", [], |r| r.get(0))
        .unwrap();
    // Not committed at the kill: at most one batch (a finished check's report waits for a
    // permit before it goes to the writer; the commit gives it back).
    let uncommitted = mxknock::history::recorder::UNCOMMITTED as i64;
    assert_eq!(uncommitted, mxknock::history::recorder::BATCH as i64);
    assert!(
        stored + uncommitted >= complete_rows as i64,
        "{stored} stored of {complete_rows} written"
    );
    assert!(stored > 0);
    drop(conn);
    // It opens and records again; the output resumes.
    let resumed = batch_child_resume(&db, &list, &output);
    assert!(resumed.contains("skipped (resume)"), "{resumed}");
    let rows = std::fs::read_to_string(&output).unwrap();
    let addresses: BTreeSet<&str> = rows
        .lines()
        .skip(1)
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(addresses.len(), 3000);
}

/// `batch --resume` to the end; its standard error.
fn batch_child_resume(db: &Path, list: &Path, output: &Path) -> String {
    let (code, _, stderr) = with_db(
        db,
        &[
            "batch",
            "--demo",
            list.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--resume",
        ],
    );
    assert_ne!(code, 1, "{stderr}");
    stderr
}

#[test]
fn shards_partition_a_list_exactly_and_keep_each_domain_in_one() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let rows: Vec<String> = (0..200)
        .map(|i| format!("u{i}@d{}.nowhere.test", i % 23))
        .collect();
    std::fs::write(&list, rows.join("\n")).unwrap();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut domain_shard: BTreeMap<String, usize> = BTreeMap::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        let (_, stdout, stderr) = common::mxknock(&[
            "batch",
            "--demo",
            "--no-catch-all",
            "--shard",
            &shard,
            list.to_str().unwrap(),
        ]);
        assert!(stderr.contains("other shards"), "{stderr}");
        for row in stdout.lines().skip(1) {
            let address = row.split(',').next().unwrap().to_string();
            let domain = address.split_once('@').unwrap().1.to_string();
            *seen.entry(address).or_default() += 1;
            let first = *domain_shard.entry(domain.clone()).or_insert(k);
            assert_eq!(first, k, "{domain} in two shards");
        }
    }
    assert_eq!(seen.len(), 200, "every address in a shard");
    assert!(seen.values().all(|n| *n == 1), "none in two");
    let (code, _, stderr) = common::mxknock(&["batch", "--demo", "--shard", "3/3", "-"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("K must be 0 to N-1"), "{stderr}");
}

#[test]
fn a_full_disk_is_said_once_and_the_output_is_still_complete() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    // Make the file, then let it grow by a few pages only.
    with_db(&db, &["check", "--demo", "alice@lab.test"]);
    let list = bulk_list(dir.path(), "full", 0, 400);
    let output = dir.path().join("full.csv");
    let (code, _, stderr) = mxknock_with_env(
        &[
            "batch",
            "--demo",
            list.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
        &[HISTORY_ON, BULK, ("MXKNOCK_HISTORY_MAX_PAGES", "40")],
    );
    assert_eq!(code, 0, "{stderr}");
    let told: Vec<&str> = stderr.lines().filter(|l| l.contains("full")).collect();
    assert!(
        told.iter().any(|l| l.contains("database or disk is full")
            && l.contains("results from here on are not recorded")),
        "{stderr}"
    );
    let rows = std::fs::read_to_string(&output).unwrap();
    assert_eq!(rows.lines().count(), 401, "every result is in the output");
}

#[test]
fn a_greylisting_recheck_survives_the_process_and_fires_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[engine]\ngreylist_schedule = [4.0]\ngreylist_max_wait = 20.0\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = ["check", "--demo", "--config", config, "--db"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        all.push(db.to_str().unwrap().to_string());
        all.extend(extra.iter().map(|s| s.to_string()));
        all.push("alice@greylist.test".into());
        all
    };
    // The first run is greylisted, schedules its re-check, and is killed while it waits.
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    let mut first = command
        .args(args(&[]))
        .env("MXKNOCK_LAB_LATENCY_MS", "2")
        .env("MXKNOCK_LAB_GREYLIST_SECS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pending = || -> i64 {
        rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT count(*) FROM pending", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let started = Instant::now();
    while pending() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no re-check recorded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let scheduled = Instant::now();
    first.kill().unwrap();
    first.wait().unwrap();
    // The next run waits for that re-check's time instead of asking at once.
    let refs: Vec<String> = args(&["--json", "--transcript"]);
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = mxknock_with_env(
        &refs,
        &[
            HISTORY_ON,
            ("MXKNOCK_LAB_GREYLIST_SECS", "1"),
            ("MXKNOCK_GREYLIST_WAIT", "20"),
        ],
    );
    let finished = scheduled.elapsed();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(report["verdict"], "deliverable");
    let lines = report["transcript"].as_array().unwrap();
    assert!(
        lines[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("greylisted in an earlier run: its re-check is due in"),
        "{lines:?}"
    );
    let first_rcpt = lines
        .iter()
        .find(|l| l["text"].as_str().unwrap().starts_with("RCPT TO:"))
        .expect("a RCPT");
    // Due 4 s after it was scheduled: the first RCPT of the second run comes no sooner.
    let rcpt_at = Duration::from_millis(first_rcpt["at_ms"].as_u64().unwrap());
    assert!(finished >= Duration::from_secs(4), "{finished:?}");
    assert!(
        rcpt_at >= Duration::from_millis(2500),
        "RCPT at {rcpt_at:?}"
    );
    assert_eq!(pending(), 0, "done, so no longer pending");
}

#[test]
fn a_domains_catch_all_result_stands_in_for_the_probe_until_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    check(&db, &["anyone@catchall.test", "alice@lab.test"], &[]);
    let rcpts = |report: &Value| -> usize {
        report["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["text"].as_str().unwrap().starts_with("RCPT TO:"))
            .count()
    };
    let said = |report: &Value, text: &str| {
        report["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["text"].as_str().unwrap().contains(text))
    };
    let known = check(
        &db,
        &["someone@catchall.test", "bob@lab.test"],
        &["--transcript"],
    );
    let catch_all = &known["someone@catchall.test"];
    assert_eq!(catch_all["reason"], "accept_all");
    assert_eq!(catch_all["catch_all"], true);
    assert!(
        said(catch_all, "catch-all: yes (from history: probed"),
        "{catch_all}"
    );
    assert_eq!(rcpts(catch_all), 1, "no probe RCPT");
    let honest = &known["bob@lab.test"];
    assert_eq!(honest["catch_all"], false);
    assert!(
        said(honest, "catch-all: no (from history: probed"),
        "{honest}"
    );
    let fresh = check(&db, &["other@catchall.test"], &["--transcript", "--fresh"]);
    assert_eq!(
        rcpts(&fresh["other@catchall.test"]),
        2,
        "--fresh probes again"
    );
}

#[test]
fn a_domain_that_refused_us_is_not_asked_again_until_its_age_or_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(dir.path());
    let connects = |report: &Value| -> usize {
        report["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["text"].as_str().unwrap().starts_with("connecting to"))
            .count()
    };
    let first = check(&db, &["alice@blocked.test"], &["--transcript"]);
    let first = &first["alice@blocked.test"];
    assert_eq!(first["reason"], "blocked");
    assert_eq!(first["from_history"], false);
    assert!(connects(first) >= 1, "{first}");

    // Another address at the domain: not asked, unknown/blocked with the server's words.
    let later = check(&db, &["bob@blocked.test"], &["--transcript"]);
    let later = &later["bob@blocked.test"];
    assert_eq!(later["verdict"], "unknown");
    assert_eq!(later["reason"], "blocked");
    assert_eq!(later["from_history"], true);
    assert_eq!(connects(later), 0, "no connection: {later}");
    let detail = later["detail"].as_str().unwrap();
    assert!(
        detail.contains("a server of blocked.test refused us")
            && detail.contains("history.refused_us_for")
            && detail.contains("554 5.7.1"),
        "{detail}"
    );
    assert!(
        !detail.contains("earlier in this run"),
        "the server's own words, not a waiting address's: {detail}"
    );
    assert_eq!(
        later["checked_at"], first["checked_at"],
        "when it refused us"
    );

    // --fresh asks; so does an age of zero; other domains never were held back.
    let fresh = check(&db, &["carol@blocked.test"], &["--transcript", "--fresh"]);
    assert!(connects(&fresh["carol@blocked.test"]) >= 1);
    let mut args = vec![
        "check",
        "--demo",
        "--json",
        "--transcript",
        "dave@blocked.test",
    ];
    args.extend(["--db", db.to_str().unwrap()]);
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[history]\nrefused_us_for = 0\n").unwrap();
    args.extend(["--config", config.to_str().unwrap()]);
    let (_, stdout, stderr) = mxknock_with_env(&args, &[HISTORY_ON]);
    let zero: Value = serde_json::from_str(stdout.trim()).expect(&stderr);
    assert!(connects(&zero) >= 1, "{zero}");
    assert_eq!(zero["from_history"], false);
    // Nothing of this was stored as a new check: the history holds what the server said.
    let stored = past(&db, "bob@blocked.test");
    assert!(stored.is_empty(), "{stored:?}");
}
