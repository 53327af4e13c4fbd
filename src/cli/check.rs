//! `mxknock check ADDR...`: runs the engine over the addresses and prints results in input
//! order. The first unfinished address streams live; later ones are held until their turn, so
//! transcripts never interleave.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use super::args::CheckArgs;
use super::output::{result_line, transcript_line};
use crate::config::Config;
use crate::engine::judge::verdict::{Report, Verdict};
use crate::engine::net::Net;
use crate::engine::notice::RunNotices;
use crate::engine::transcript::TranscriptLine;
use crate::engine::{Engine, EngineEvent, EventKind};
use crate::exit;
use crate::export::{JsonlWriter, ReportWriter};

/// How to print.
#[derive(Clone, Copy, Debug)]
pub struct PrintMode {
    /// JSON lines instead of text.
    pub json: bool,
    /// Include the transcript.
    pub transcript: bool,
    /// Colour the text.
    pub color: bool,
}

/// Runs `check` over `net` and returns the exit code.
pub async fn run(
    args: &CheckArgs,
    config: Config,
    net: Net,
    color: bool,
    history: crate::engine::EngineHistory,
) -> anyhow::Result<i32> {
    let mode = PrintMode {
        json: args.json,
        transcript: args.transcript,
        color: color && !args.json,
    };
    let addresses = match addresses(&args.addresses, args.reading.options()) {
        Ok(addresses) => addresses,
        Err(e) => {
            eprintln!("mxknock: {e}");
            return Ok(exit::USAGE);
        }
    };
    let (handle, mut events) = Engine::start_with_history(Arc::new(config), net, history);
    for address in &addresses {
        handle.submit(address.clone());
    }
    drop(handle);
    let mut printer = OrderedPrinter::new(addresses.len(), mode);
    let mut notices = RunNotices::default();
    let stdout = std::io::stdout();
    while let Some(event) = events.recv().await {
        if let EventKind::Finished(report) = &event.kind
            && let Some(notice) = notices.see(report)
        {
            eprintln!("mxknock: {}", crate::text::terminal_safe(&notice));
        }
        if args.verbosity.quiet {
            printer.handle(event, &mut std::io::sink())?;
            continue;
        }
        let mut out = stdout.lock();
        printer.handle(event, &mut out)?;
        out.flush()?;
    }
    Ok(exit::for_verdicts(printer.verdicts))
}

/// The addresses to check: the arguments, with `-` replaced by the list on standard input
/// (its bad rows reported on standard error with their line numbers, as `batch` does).
fn addresses(
    arguments: &[String],
    options: crate::input::ListOptions,
) -> Result<Vec<String>, String> {
    let mut addresses = Vec::with_capacity(arguments.len());
    let mut read_stdin = false;
    for argument in arguments {
        if argument != "-" {
            addresses.push(argument.clone());
            continue;
        }
        if std::mem::replace(&mut read_stdin, true) {
            continue; // standard input can be read once
        }
        let list = crate::input::read_sniffed(std::io::stdin().lock(), options)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        for bad in &list.bad_rows {
            let message = crate::text::terminal_safe(&bad.message);
            eprintln!("mxknock: <stdin>:{}: {message}", bad.line);
        }
        addresses.extend(list.entries.into_iter().map(|entry| entry.address));
    }
    if addresses.is_empty() {
        return Err("no addresses to check: standard input held none".into());
    }
    Ok(addresses)
}

/// Holds what each job has produced until it is that job's turn to print.
pub struct OrderedPrinter {
    mode: PrintMode,
    next: usize,
    total: usize,
    pending: HashMap<usize, Pending>,
    /// The verdicts printed so far.
    pub verdicts: Vec<Verdict>,
}

#[derive(Default)]
struct Pending {
    lines: Vec<TranscriptLine>,
    report: Option<Box<Report>>,
}

impl OrderedPrinter {
    /// A printer for `total` jobs numbered 0..total.
    pub fn new(total: usize, mode: PrintMode) -> Self {
        OrderedPrinter {
            mode,
            next: 0,
            total,
            pending: HashMap::new(),
            verdicts: Vec::new(),
        }
    }

    /// Takes one engine event and writes whatever may be written now.
    pub fn handle(&mut self, event: EngineEvent, out: &mut impl Write) -> std::io::Result<()> {
        let index = event.job.0 as usize;
        let live = index == self.next && self.mode.transcript && !self.mode.json;
        match event.kind {
            EventKind::Line(line) if live => {
                writeln!(out, "{}", transcript_line(&line, self.mode.color))?
            }
            EventKind::Line(line) => self.pending.entry(index).or_default().lines.push(line),
            EventKind::Finished(report) => {
                self.pending.entry(index).or_default().report = Some(report)
            }
            EventKind::Queued { .. } | EventKind::Stage(_) => {}
        }
        self.flush_ready(out)
    }

    fn flush_ready(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        while self.next < self.total {
            let Some(pending) = self.pending.get_mut(&self.next) else {
                break;
            };
            let lines = std::mem::take(&mut pending.lines);
            let report = pending.report.take();
            if !self.mode.json && self.mode.transcript {
                for line in &lines {
                    writeln!(out, "{}", transcript_line(line, self.mode.color))?;
                }
            } else if self.mode.transcript {
                pending.lines = lines;
            }
            let Some(mut report) = report else { break };
            let held = self.pending.remove(&self.next).unwrap_or_default();
            if self.mode.json {
                if self.mode.transcript {
                    report.transcript = Some(held.lines);
                }
                JsonlWriter::new(&mut *out).write_report(&report)?;
            } else {
                writeln!(out, "{}", result_line(&report, self.mode.color))?;
                if self.mode.transcript && self.next + 1 < self.total {
                    writeln!(out)?;
                }
            }
            self.verdicts.push(report.verdict);
            self.next += 1;
        }
        Ok(())
    }
}
