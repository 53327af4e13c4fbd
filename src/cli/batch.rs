//! `mxknock batch FILE|-`: checks a list and writes one CSV row or JSON line per distinct
//! address, in completion order, each flushed as soon as it is known, so an interrupted run
//! loses nothing finished; `--resume` carries on from what the output already holds.

use std::collections::HashSet;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::args::{BatchArgs, BatchFormat};
use super::resume;
use crate::config::Config;
use crate::engine::judge::verdict::{Report, Verdict};
use crate::engine::net::Net;
use crate::engine::notice::RunNotices;
use crate::engine::stats::StatsSnapshot;
use crate::engine::{Engine, EventKind, JobId, Stage};
use crate::exit;
use crate::export::{Format, ReportWriter, report_writer};
use crate::input::ListOptions;
use crate::input::{self, LoadedList};
use crate::text::terminal_safe;

/// The exit code when Ctrl-C stops a run (128 + SIGINT, as shells report it); SIGTERM gives
/// 143 and SIGHUP 129 (see [`crate::signal`]).
pub const INTERRUPTED: i32 = 130;

/// Runs `batch` over `net` and returns the exit code.
pub async fn run(
    args: &BatchArgs,
    config: Config,
    net: Net,
    history: crate::engine::EngineHistory,
) -> anyhow::Result<i32> {
    let format = output_format(args);
    let stdin = args.input == Path::new("-");
    let source = if stdin {
        "<stdin>".to_string()
    } else {
        terminal_safe(&args.input.display().to_string())
    };
    let list = match load_list(&args.input, stdin, args.reading.options()) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("mxknock: {}", terminal_safe(&e));
            return Ok(exit::USAGE);
        }
    };
    let list_len = list.entries.len();
    for bad in &list.bad_rows {
        let message = terminal_safe(&bad.message);
        eprintln!("mxknock: {source}:{}: {message}", bad.line);
    }
    let overwrites_list = !stdin && !args.resume;
    if let Some(output) = &args.output
        && overwrites_list
        && same_file(&args.input, output)
    {
        eprintln!(
            "mxknock: {} is both the list and the output; write the results elsewhere",
            output.display()
        );
        return Ok(exit::USAGE);
    }
    let (mut sink, previous) = match Sink::open(args.output.as_deref(), format, args.resume) {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("mxknock: {e}");
            return Ok(exit::USAGE);
        }
    };
    let in_shard: Vec<String> = list
        .entries
        .into_iter()
        .map(|e| e.address)
        .filter(|a| args.shard.is_none_or(|shard| shard.takes(a)))
        .collect();
    let other_shards = list_len - in_shard.len();
    let todo: Vec<String> = in_shard
        .into_iter()
        .filter(|a| !previous.contains(&input::address_key(a)))
        .collect();
    let total = todo.len();
    let mut summary = Summary {
        skipped: list_len - other_shards - total,
        other_shards,
        duplicates: list.duplicates,
        bad_rows: list.bad_rows.len(),
        ..Summary::default()
    };

    let started = Instant::now();
    let quiet = args.verbosity.quiet;
    let progress = if quiet {
        ProgressBar::hidden()
    } else {
        progress_bar(total as u64)
    };
    let (handle, mut events) = Engine::start_with_history(Arc::new(config), net, history);
    let stats = handle.stats_source();
    // The engine keeps a bounded window in flight; the rest of the list waits inside it.
    for address in todo {
        handle.submit(address);
    }
    drop(handle);
    let mut greylisted = Greylisted::default();
    let to_stdout = args.output.is_none();
    let signals = crate::signal::Signals::install().context("catching signals")?;
    let stop = signals.recv();
    tokio::pin!(stop);
    let interrupted = loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    greylisted.saw(event.job, &event.kind);
                    if matches!(event.kind, EventKind::Stage(Stage::Greylisted(_))) {
                        progress.set_message(summary.counts(greylisted.len()));
                    }
                    if let EventKind::Finished(report) = event.kind {
                        if let Some(notice) = summary.notices.see(&report) {
                            let line = format!("mxknock: {}", terminal_safe(&notice));
                            progress.suspend(|| eprintln!("{line}"));
                        }
                        if to_stdout {
                            // Keep the bar off the rows when both go to the terminal.
                            progress.suspend(|| sink.write(&report))
                        } else {
                            sink.write(&report)
                        }
                        .context("writing the results")?;
                        summary.add(report.verdict);
                        summary.from_history += usize::from(report.from_history);
                        progress.inc(1);
                        if !progress.is_hidden() {
                            progress.set_message(summary.counts(greylisted.len()));
                        }
                    }
                }
                None => break None,
            },
            signal = &mut stop => break Some(128 + signal),
        }
    };
    progress.finish_and_clear();
    summary.elapsed = started.elapsed();
    summary.stats = stats.snapshot();
    summary.refused_us = stats.hosts_refused_us();
    if !quiet {
        eprint!("{}", summary.render());
    }
    if let Some(code) = interrupted {
        let left = total - summary.checked();
        let hint = match &args.output {
            Some(_) if left > 0 => {
                format!("; {left} left: run the same command with --resume to carry on")
            }
            _ => String::new(),
        };
        eprintln!("mxknock: interrupted{hint}");
        return Ok(code);
    }
    Ok(exit::for_verdicts(summary.verdicts()))
}

/// The addresses waiting for a greylisting re-check, for the progress line.
#[derive(Default)]
struct Greylisted(HashSet<JobId>);

impl Greylisted {
    /// Follows one event.
    fn saw(&mut self, job: JobId, kind: &EventKind) {
        match kind {
            EventKind::Stage(Stage::Greylisted(_)) => {
                self.0.insert(job);
            }
            EventKind::Finished(_) => {
                self.0.remove(&job);
            }
            _ => {}
        }
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// --format, else the output file's extension, else CSV.
pub fn output_format(args: &BatchArgs) -> Format {
    match args.format {
        Some(BatchFormat::Csv) => Format::Csv,
        Some(BatchFormat::Jsonl) => Format::Jsonl,
        None => args
            .output
            .as_deref()
            .and_then(Format::from_path)
            .unwrap_or(Format::Csv),
    }
}

/// Reads the list: a file through [`input::load_file`], or standard input (CSV when it starts
/// with an address header). Both are read a line at a time, never a whole line over the cap.
fn load_list(path: &Path, stdin: bool, options: ListOptions) -> Result<LoadedList, String> {
    if stdin {
        return input::read_sniffed(std::io::stdin().lock(), options)
            .map_err(|e| format!("cannot read standard input: {e}"));
    }
    input::load_file(path, options).map_err(|e| e.to_string())
}

/// Whether two paths name one existing file.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Where results go: every row is written whole and flushed at once.
struct Sink {
    writer: Box<dyn ReportWriter + Send>,
}

impl Sink {
    /// Opens the output (standard output when `path` is None) and writes the CSV header when
    /// the file does not have it yet. Returns the addresses an earlier run wrote (`resume`).
    fn open(
        path: Option<&Path>,
        format: Format,
        resume: bool,
    ) -> Result<(Sink, HashSet<String>), String> {
        let (out, previous, has_header): (Box<dyn Write + Send>, _, _) = match (path, resume) {
            (None, _) => (Box::new(std::io::stdout()), HashSet::new(), false),
            (Some(path), false) => {
                let file = File::create(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                (Box::new(file), HashSet::new(), false)
            }
            (Some(path), true) => {
                let resumed = resume::open(path, format)
                    .map_err(|e| format!("{}: {e}; not resuming", path.display()))?;
                if resumed.dropped > 0 {
                    eprintln!(
                        "mxknock: {}: cut off an unfinished last row ({} bytes)",
                        path.display(),
                        resumed.dropped
                    );
                }
                let previous = resumed.previous;
                if previous.rows > 0 {
                    eprintln!(
                        "mxknock: {}: {} results already there, resuming",
                        path.display(),
                        previous.rows
                    );
                }
                (
                    Box::new(resumed.file),
                    previous.addresses,
                    previous.has_header,
                )
            }
        };
        let mut sink = Sink {
            writer: report_writer(out, format),
        };
        if !has_header {
            // The CSV header; JSON lines have none.
            sink.writer
                .write_header()
                .and_then(|()| sink.writer.flush())
                .map_err(|e| format!("cannot write the CSV header: {e}"))?;
        }
        Ok((sink, previous))
    }

    /// Writes one result and flushes it.
    fn write(&mut self, report: &Report) -> std::io::Result<()> {
        self.writer.write_report(report)?;
        self.writer.flush()
    }
}

/// A progress bar on standard error when it is a terminal; hidden otherwise.
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{wide_bar} {pos}/{len} {rate} ETA {eta} {msg}")
        .expect("a valid template")
        .with_key(
            "rate",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.1}/s", state.per_sec());
            },
        );
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// What a run did, for the closing summary.
#[derive(Debug, Default)]
struct Summary {
    /// Results per verdict, in the order of [`Verdict::ALL`].
    counts: [usize; 4],
    skipped: usize,
    /// Addresses left to the other shards (`--shard`).
    other_shards: usize,
    /// Results taken from the history.
    from_history: usize,
    duplicates: usize,
    bad_rows: usize,
    elapsed: Duration,
    stats: StatsSnapshot,
    notices: RunNotices,
    refused_us: Vec<String>,
}

impl Summary {
    fn add(&mut self, verdict: Verdict) {
        let index = Verdict::ALL.iter().position(|v| *v == verdict);
        self.counts[index.expect("every verdict is in ALL")] += 1;
    }

    fn checked(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Every verdict given, once per kind (enough for the exit code).
    fn verdicts(&self) -> impl Iterator<Item = Verdict> + '_ {
        Verdict::ALL
            .into_iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
            .map(|(v, _)| v)
    }

    /// `12 ok, 3 risky, 1 unknown, 40 undeliverable (2 greylisted)` for the progress bar.
    fn counts(&self, greylisted: usize) -> String {
        let [deliverable, risky, unknown, undeliverable] = self.counts;
        let waiting = if greylisted > 0 {
            format!(" ({greylisted} greylisted)")
        } else {
            String::new()
        };
        format!(
            "{deliverable} ok, {risky} risky, {unknown} unknown, {undeliverable} undeliverable{waiting}"
        )
    }

    fn render(&self) -> String {
        let checked = self.checked();
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            checked as f64 / secs
        } else {
            0.0
        };
        let mut text =
            format!("mxknock batch: {checked} checked in {secs:.2} s ({rate:.1} addresses/s)\n");
        let mut row =
            |label: &str, value: String| text.push_str(&format!("  {label:<18}{value:>8}\n"));
        for (verdict, count) in Verdict::ALL.into_iter().zip(self.counts) {
            row(verdict.as_str(), count.to_string());
        }
        row("from history", self.from_history.to_string());
        row("skipped (resume)", self.skipped.to_string());
        if self.other_shards > 0 {
            row("other shards", self.other_shards.to_string());
        }
        row("duplicates", self.duplicates.to_string());
        row("bad rows", self.bad_rows.to_string());
        row("sessions opened", self.stats.sessions_opened.to_string());
        row("RCPTs sent", self.stats.rcpts_sent.to_string());
        if !self.refused_us.is_empty() {
            let hosts = self
                .refused_us
                .iter()
                .map(|h| terminal_safe(h))
                .collect::<Vec<_>>()
                .join(", ");
            row("hosts refused us", self.refused_us.len().to_string());
            text.push_str(&format!(
                "    {hosts}: our IP, its reverse DNS, our HELO name or sender was refused, not a mailbox; no further session was opened to them (run `mxknock doctor`)\n"
            ));
        }
        if self.notices.port_blocked().is_some() {
            text.push_str(
                "  port 25            blocked from here: the addresses not checked are unknown/port_blocked (see above)\n",
            );
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports with what CSV and JSON must quote or escape: commas, quotes, line breaks,
    /// formula starts, C1 controls, invisible characters and non-ASCII text.
    fn awkward_reports() -> Vec<Report> {
        use crate::engine::judge::verdict::{Reason, SmtpFacts};
        let mut ok = Report::new(
            "Alice@Lab.Test",
            Reason::Ok,
            "250 2.1.5 Ok, \"fine\"\r\nyes",
        );
        ok.normalized = Some("Alice@lab.test".into());
        ok.flags.role_account = true;
        ok.catch_all = Some(false);
        ok.duration_ms = 312;
        ok.smtp = Some(SmtpFacts {
            host: "mx1.lab.test".into(),
            code: Some(250),
            message: Some("=HYPERLINK(\"x\")".into()),
            ..Default::default()
        });
        let mut gone = Report::new(
            "bücher@lab.test",
            Reason::NoSuchUser,
            "-1 \u{85}\u{202e}gone",
        );
        gone.flags.free_provider = true;
        gone.catch_all = Some(true);
        vec![
            ok,
            gone,
            Report::new("not an address", Reason::InvalidSyntax, ""),
        ]
    }

    #[tokio::test]
    async fn the_tui_export_and_batch_write_the_same_bytes() {
        use crate::engine::{EngineEvent, JobId};
        use crate::lab::{Lab, LabOptions};
        use crate::tui::app::{App, Effect};
        use crate::tui::keymap::Keymap;
        use std::time::Duration;
        let reports = awkward_reports();
        let lab = Lab::start(LabOptions::fast()).await.unwrap();
        let (engine, _events) = Engine::start(
            Arc::new(Config::default()),
            lab.net(Duration::from_secs(2)).unwrap(),
        );
        let mut app = App::new(Keymap::default());
        let checks = app.add_addresses(reports.iter().map(|r| (r.address.clone(), 1)));
        for (n, (effect, report)) in checks.into_iter().zip(&reports).enumerate() {
            let Effect::Check { row, .. } = effect else {
                panic!("{effect:?}")
            };
            let job = JobId(1000 + n as u64);
            app.bind_job(row, job);
            app.apply(EngineEvent {
                job,
                kind: EventKind::Finished(Box::new(report.clone())),
            });
        }
        app.refresh_view();
        let dir = tempfile::tempdir().unwrap();
        for (name, format) in [("out.csv", Format::Csv), ("out.jsonl", Format::Jsonl)] {
            let from_tui = dir.path().join(format!("tui-{name}"));
            let effects = vec![Effect::Export {
                path: from_tui.clone(),
                overwrite: false,
            }];
            crate::tui::carry_out(&mut app, &engine, effects);
            let from_batch = dir.path().join(format!("batch-{name}"));
            let (mut sink, _) = Sink::open(Some(&from_batch), format, false).unwrap();
            for report in &reports {
                sink.write(report).unwrap();
            }
            drop(sink);
            let tui = std::fs::read(&from_tui).unwrap();
            assert_eq!(tui, std::fs::read(&from_batch).unwrap(), "{name}");
            let lines = tui.iter().filter(|&&b| b == b'\n').count();
            // CSV: the header, three rows, and the line break quoted in the first one.
            let expected = match format {
                Format::Csv => 1 + reports.len() + 1,
                Format::Jsonl => reports.len(),
            };
            assert_eq!(lines, expected, "{name}");
        }
    }

    #[test]
    fn the_format_comes_from_the_flag_then_the_extension_then_csv() {
        let args = |output: Option<&str>, format: Option<BatchFormat>| BatchArgs {
            input: "-".into(),
            output: output.map(Into::into),
            format,
            resume: false,
            shard: None,
            reading: Default::default(),
            lab: Default::default(),
            settings: Default::default(),
            verbosity: Default::default(),
        };
        assert_eq!(output_format(&args(None, None)), Format::Csv);
        assert_eq!(output_format(&args(Some("r.NDJSON"), None)), Format::Jsonl);
        assert_eq!(output_format(&args(Some("r.txt"), None)), Format::Csv);
        assert_eq!(
            output_format(&args(Some("r.csv"), Some(BatchFormat::Jsonl))),
            Format::Jsonl
        );
    }
}
