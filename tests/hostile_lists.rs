//! Hostile address lists through the built binary (`mxknock batch --demo`, the embedded lab):
//! an unclosed CSV quote, invalid UTF-8, NUL bytes and a 50 MB line are bad rows named
//! `FILE:LINE:`, the rest of the list is still read, and memory stays bounded.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// What a finished run left behind.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// The child's peak resident set size, in KiB (`ru_maxrss` from `wait4`).
    peak_rss_kib: i64,
}

impl Run {
    /// The addresses of the JSON lines on standard output.
    fn addresses(&self) -> HashSet<String> {
        self.stdout
            .lines()
            .map(|line| {
                let report: Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
                report["address"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// Asserts standard error holds `needle`.
    fn says(&self, needle: &str) {
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not in stderr:\n{}",
            self.stderr
        );
    }
}

/// Writes a list to standard input (or a file), a piece at a time.
type Feed = Box<dyn FnOnce(&mut dyn Write) -> std::io::Result<()> + Send>;

/// A feed of `bytes`.
fn bytes(bytes: &'static [u8]) -> Option<Feed> {
    Some(Box::new(move |out| out.write_all(bytes)))
}

/// Runs `mxknock batch --demo --format jsonl ARGS`, feeding `stdin` (if any) from a thread,
/// with standard output and error in files so nothing blocks, and reaps the child with
/// `wait4` to learn its peak RSS.
///
/// The child's `ru_maxrss` also counts the memory of this test process when it spawned the
/// child (Linux carries the high-water mark over fork and exec), so the figure is an upper
/// bound; the giant lists are therefore written a piece at a time, never held here whole.
fn batch(args: &[&str], stdin: Option<Feed>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    command
        .args(["batch", "--demo", "--helo", "verifier.lab.test"])
        .args(["--format", "jsonl"])
        .args(args)
        .env("MXKNOCK_LAB_LATENCY_MS", "2")
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap());
    let mut child = command.spawn().expect("the binary runs");
    let feeder = child.stdin.take().zip(stdin).map(|(mut pipe, feed)| {
        // A run that stops reading early breaks the pipe: that is its business.
        std::thread::spawn(move || {
            let _ = feed(&mut pipe);
        })
    });
    let (code, peak_rss_kib) = wait_with_peak_rss(child);
    if let Some(feeder) = feeder {
        feeder.join().unwrap();
    }
    Run {
        code,
        stdout: std::fs::read_to_string(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
        peak_rss_kib,
    }
}

/// Waits for the child and returns its exit code and peak RSS in KiB.
fn wait_with_peak_rss(child: std::process::Child) -> (i32, i64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unreaped child; status and usage are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    drop(child); // already reaped: dropping a Child neither waits nor kills
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

fn set(addresses: &[&str]) -> HashSet<String> {
    addresses.iter().map(|a| a.to_string()).collect()
}

/// The length of the giant line: 50 MiB.
const GIANT: usize = 50 * 1024 * 1024;

/// Peak RSS the binary may reach while skipping a giant line, in KiB.
const RSS_LIMIT_KIB: i64 = 100 * 1024;

#[test]
fn an_unclosed_csv_quote_is_a_bad_row_and_the_rows_after_it_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "list.csv",
        b"email,name\nalice@lab.test,a\nnobody@lab.test,\"never closed\nbob@lab.test,b\n\
          carol@lab.test,c\n",
    );
    let run = batch(&[&list], None);
    run.says(&format!("mxknock: {list}:3: "));
    run.says("never closed");
    run.says("bad rows                 1");
    assert_eq!(
        run.addresses(),
        set(&["alice@lab.test", "bob@lab.test", "carol@lab.test"]),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 3, "worst is risky (carol's mailbox is full)");
}

#[test]
fn a_quoted_cell_may_still_span_lines() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "list.csv",
        b"email,notes\nalice@lab.test,\"two\nlines\"\nbob@lab.test,b\n",
    );
    let run = batch(&[&list], None);
    run.says("bad rows                 0");
    assert_eq!(run.addresses(), set(&["alice@lab.test", "bob@lab.test"]));
}

#[test]
fn invalid_utf8_is_a_bad_row_naming_the_byte_and_is_never_checked() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "latin1.txt",
        b"alice@lab.test\nu\xe9@catchall.test\nbob@lab.test\n",
    );
    let run = batch(&[&list], None);
    run.says(&format!(
        "mxknock: {list}:2: invalid UTF-8 at byte offset 1 of the line"
    ));
    run.says("bad rows                 1");
    assert_eq!(run.addresses(), set(&["alice@lab.test", "bob@lab.test"]));
    assert!(!run.stdout.contains('\u{fffd}'), "{}", run.stdout);
}

#[test]
fn invalid_utf8_on_standard_input_is_a_bad_row_too() {
    let run = batch(
        &["-"],
        bytes(b"# piped\nalice@lab.test\n\xff\xfebob@lab.test\nbob@lab.test\n"),
    );
    run.says("mxknock: <stdin>:3: invalid UTF-8 at byte offset 0 of the line");
    assert_eq!(run.addresses(), set(&["alice@lab.test", "bob@lab.test"]));
}

#[test]
fn invalid_utf8_in_a_csv_cell_is_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "list.csv",
        b"name,email\nJos\xe9,alice@lab.test\nBob,bob@lab.test\n",
    );
    let run = batch(&[&list], None);
    run.says(&format!(
        "mxknock: {list}:2: invalid UTF-8 at byte offset 3 of the line"
    ));
    assert_eq!(run.addresses(), set(&["bob@lab.test"]));
}

#[test]
fn a_nul_byte_anywhere_in_a_line_is_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(
        dir.path(),
        "list.csv",
        b"email,name\nalice@lab.test,Al\0ice\nbob@lab.test,Bob\n",
    );
    let run = batch(&[&list], None);
    run.says(&format!("mxknock: {list}:2: NUL byte at byte offset 17"));
    assert_eq!(run.addresses(), set(&["bob@lab.test"]));
}

/// Writes a list with a 50 MiB line (and CRLF) between two addresses, 1 MiB at a time.
fn write_giant_list(out: &mut dyn Write, csv: bool) -> std::io::Result<()> {
    if csv {
        out.write_all(b"email,name\n")?;
    }
    out.write_all(b"alice@lab.test\n")?;
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..GIANT / chunk.len() {
        out.write_all(&chunk)?;
    }
    out.write_all(b"\r\nbob@lab.test\n")
}

/// A file holding [`write_giant_list`].
fn giant_file(dir: &Path, name: &str, csv: bool) -> String {
    let path = dir.join(name);
    let mut file = std::io::BufWriter::new(File::create(&path).unwrap());
    write_giant_list(&mut file, csv).unwrap();
    file.flush().unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_50_mb_line_is_a_bad_row_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let list = giant_file(dir.path(), "giant.txt", false);
    let run = batch(&[&list], None);
    run.says(&format!(
        "mxknock: {list}:2: line is {GIANT} bytes, longer than 4096"
    ));
    assert_eq!(run.addresses(), set(&["alice@lab.test", "bob@lab.test"]));
    eprintln!("peak RSS with a 50 MiB line: {} KiB", run.peak_rss_kib);
    assert!(
        run.peak_rss_kib < RSS_LIMIT_KIB,
        "peak RSS {} KiB",
        run.peak_rss_kib
    );
}

#[test]
fn a_50_mb_csv_cell_is_a_bad_row_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let list = giant_file(dir.path(), "giant.csv", true);
    let run = batch(&[&list], None);
    run.says(&format!(
        "mxknock: {list}:3: line is {GIANT} bytes, longer than 4096"
    ));
    assert_eq!(run.addresses(), set(&["alice@lab.test", "bob@lab.test"]));
    assert!(
        run.peak_rss_kib < RSS_LIMIT_KIB,
        "peak RSS {} KiB",
        run.peak_rss_kib
    );
}

#[test]
fn a_50_mb_line_on_standard_input_is_a_bad_row_and_memory_stays_bounded() {
    let run = batch(
        &["-"],
        Some(Box::new(|out: &mut dyn Write| write_giant_list(out, false))),
    );
    run.says(&format!(
        "mxknock: <stdin>:2: line is {GIANT} bytes, longer than 4096"
    ));
    assert_eq!(run.addresses(), set(&["alice@lab.test", "bob@lab.test"]));
    eprintln!(
        "peak RSS with a 50 MiB line on stdin: {} KiB",
        run.peak_rss_kib
    );
    assert!(
        run.peak_rss_kib < RSS_LIMIT_KIB,
        "peak RSS {} KiB",
        run.peak_rss_kib
    );
}

#[test]
fn a_line_just_over_the_cap_is_a_bad_row_and_one_at_the_cap_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let at_cap = format!("{}@lab.test", "a".repeat(4096 - "@lab.test".len()));
    let over = format!("b{at_cap}");
    let list = write(
        dir.path(),
        "list.txt",
        format!("{at_cap}\n{over}\nalice@lab.test\n").as_bytes(),
    );
    let run = batch(&[&list], None);
    run.says(&format!(
        "mxknock: {list}:2: line is 4097 bytes, longer than 4096"
    ));
    // The line at the cap is read (and is then an address too long to be valid).
    assert_eq!(run.addresses(), set(&[at_cap.as_str(), "alice@lab.test"]));
}
