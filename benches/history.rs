//! `cargo bench --bench history`: what the history costs and saves, through the built binary.
//!
//! `mxknock batch --demo` over 100,000 addresses (20 lab bulk domains, none of them
//! greylisting, since an unknown result is never reused): (a) `--no-history`; (b) with a new
//! history database; (c) the same list again on that database, answered from it. Each at a lab
//! latency of 1 ms (the machine's CPUs are the limit) and of 25 ms (closer to real servers).
//! Figures: wall time of each, the overhead of b over a, the sessions opened in (c), the floor
//! (100,000 addresses that finish at once, invalid syntax, no history), and the database's
//! bytes per stored result, with transcripts and without (`history.transcripts = false`).
//! Figures only; no assertions.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const DOMAINS: usize = 20;
const ADDRESSES: usize = 100_000;

/// The bulk domains used: every tenth from 1 greylists (`lab::zone::bulk_script`), left out.
fn domains() -> Vec<usize> {
    (0..).filter(|d| d % 10 != 1).take(DOMAINS).collect()
}

/// A list of `n` addresses over the bulk domains, 70 % existing.
fn write_list(path: &Path, n: usize) {
    let domains = domains();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("list file"));
    for i in 0..n {
        let (round, d) = (i / DOMAINS, domains[i % DOMAINS]);
        let local = if round % 10 < 7 {
            format!("ok{round}")
        } else {
            format!("no{round}")
        };
        writeln!(file, "{local}@{}", mxknock::lab::zone::bulk_domain(d)).expect("write list");
    }
}

/// One batch run at `latency_ms`: (seconds, its summary on standard error).
fn batch(binary: &str, list: &Path, latency_ms: u64, extra: &[&str]) -> (f64, String) {
    let started = Instant::now();
    let output = Command::new(binary)
        .args([
            "batch",
            "--demo",
            "--helo",
            "bench.lab.test",
            "--greylist-wait",
            "0",
        ])
        .args(["--concurrency", "64"])
        .arg(list)
        .args(extra)
        .env("MXKNOCK_LAB_LATENCY_MS", latency_ms.to_string())
        .env(
            "MXKNOCK_LAB_BULK_DOMAINS",
            (domains()[DOMAINS - 1] + 1).to_string(),
        )
        .env("MXKNOCK_NO_HISTORY", "0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("batch runs");
    (
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A number from the summary row `name`.
fn summary(stderr: &str, name: &str) -> u64 {
    stderr
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The database's size (with its WAL) per stored check.
fn bytes_per_result(db: &Path) -> (u64, u64, f64) {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = Path::new(&format!("{}-wal", db.display())).to_path_buf();
    let bytes = size(db) + size(&wal);
    let conn = rusqlite::Connection::open(db).expect("open the history");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM checks", [], |r| r.get(0))
        .expect("count");
    (bytes, rows as u64, bytes as f64 / rows.max(1) as f64)
}

fn main() {
    let Some(binary) = option_env!("CARGO_BIN_EXE_mxknock") else {
        println!("history: the mxknock binary is not available to this bench");
        return;
    };
    let dir = std::env::temp_dir().join(format!("mxknock-history-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let list = dir.join("list.txt");
    write_list(&list, ADDRESSES);
    println!("{ADDRESSES} addresses over {DOMAINS} lab domains");
    let invalid = dir.join("invalid.txt");
    std::fs::write(
        &invalid,
        (0..ADDRESSES)
            .map(|i| format!("bad{i}.example\n"))
            .collect::<String>(),
    )
    .expect("invalid list");
    let (floor, _) = batch(binary, &invalid, 1, &["--no-history"]);
    println!("floor: {ADDRESSES} invalid addresses, no history  {floor:6.2} s");
    for latency in [1, 25] {
        let db = dir.join(format!("history-{latency}.sqlite"));
        let db_arg = db.to_str().expect("utf-8 path");
        println!("lab latency {latency} ms:");
        let (plain, _) = batch(binary, &list, latency, &["--no-history"]);
        println!("  (a) --no-history          {plain:7.2} s");
        let (recorded, stderr) = batch(binary, &list, latency, &["--db", db_arg]);
        println!(
            "  (b) new history           {recorded:7.2} s   overhead {:+.1} % over (a)",
            (recorded / plain - 1.0) * 100.0
        );
        let (bytes, rows, per) = bytes_per_result(&db);
        println!(
            "      database               {:.1} MB for {rows} results: {per:.0} bytes per result (with transcripts)",
            bytes as f64 / 1e6
        );
        let sessions_b = summary(&stderr, "sessions opened");
        let (again, stderr) = batch(binary, &list, latency, &["--db", db_arg]);
        println!(
            "  (c) same list again       {again:7.2} s   {} from history, {} sessions opened (b opened {sessions_b})",
            summary(&stderr, "from history"),
            summary(&stderr, "sessions opened")
        );
    }

    let small = dir.join("small.txt");
    write_list(&small, 20_000);
    let config = dir.join("config.toml");
    std::fs::write(&config, "[history]\ntranscripts = false\n").expect("config");
    let bare = dir.join("bare.sqlite");
    batch(
        binary,
        &small,
        1,
        &[
            "--db",
            bare.to_str().expect("utf-8 path"),
            "--config",
            config.to_str().expect("utf-8 path"),
        ],
    );
    let (_, rows, per) = bytes_per_result(&bare);
    println!("    without transcripts    {per:.0} bytes per result ({rows} results)");
    let _ = std::fs::remove_dir_all(&dir);
}
