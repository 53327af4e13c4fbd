//! `mxknock history ADDR|@DOMAIN [--json] [--transcript]`: the past checks of an address or a
//! domain from the history database, newest first, with the checks whose verdict differs from
//! the one before marked; and `mxknock history import FILE.jsonl...`, which loads batch outputs
//! (from other machines, `batch --shard`) into the local history.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crossterm::style::Stylize;

use super::args::{HistoryAction, HistoryCommandArgs, HistoryDbArgs};
use crate::config::Config;
use crate::engine::judge::verdict::Report;
use crate::exit;
use crate::history::{History, Record, SenderSetup, StoredCheck, age, now_ms, rfc3339};
use crate::text::terminal_safe;

/// Runs `history`.
pub fn run(args: &HistoryCommandArgs) -> anyhow::Result<i32> {
    if let Some(HistoryAction::Import { files, db }) = &args.action {
        return import(files, db);
    }
    let Some(target) = args.target.as_deref() else {
        eprintln!("mxknock: history: give an address, @domain, or `import FILE.jsonl`");
        return Ok(exit::USAGE);
    };
    let path = match database(&args.db) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("mxknock: {e}");
            return Ok(exit::USAGE);
        }
    };
    if !path.exists() {
        eprintln!("mxknock: no history at {} yet", path.display());
        return Ok(exit::OK);
    }
    let history = History::open(&path)?.history;
    let key = crate::history::store::lookup_key(target);
    let checks = history.past(&key, args.limit)?;
    let color = super::output::use_color(args.color.unwrap_or_default());
    let mut out = std::io::stdout().lock();
    if args.json {
        for check in &checks {
            let transcript = if args.transcript {
                history.transcript(check.id)?
            } else {
                None
            };
            writeln!(out, "{}", json_line(check, transcript))?;
        }
        return Ok(exit::OK);
    }
    if let Some(domain) = key.strip_prefix('@') {
        writeln!(out, "{}", domain_line(domain, &history.domain(domain)?))?;
    }
    if checks.is_empty() {
        writeln!(
            out,
            "no checks of {} in {}",
            terminal_safe(target),
            path.display()
        )?;
        return Ok(exit::OK);
    }
    let now = now_ms();
    let domain_wide = key.starts_with('@');
    for (i, check) in checks.iter().enumerate() {
        // The check before this one of the same address (a domain lists several).
        let older = checks[i + 1..]
            .iter()
            .find(|c| c.report.normalized == check.report.normalized)
            .map(|c| c.report.verdict);
        let mut line = check_line(check, older, now, color);
        if domain_wide {
            line = format!("{}  {line}", terminal_safe(&check.report.address));
        }
        writeln!(out, "{line}")?;
        if args.transcript {
            match history.transcript(check.id)? {
                Some(text) => write!(out, "{text}")?,
                None => writeln!(out, "    (no transcript kept)")?,
            }
        }
    }
    Ok(exit::OK)
}

/// The database `history` reads: `--db`, else the config's `history.path`, else the default.
pub fn database(db: &HistoryDbArgs) -> Result<PathBuf, String> {
    if let Some(path) = &db.db {
        return Ok(path.clone());
    }
    let (config, _) = Config::load(db.file.config.as_deref()).map_err(|e| e.to_string())?;
    config
        .history
        .path
        .or_else(History::default_path)
        .ok_or_else(|| "this platform has no data directory; give --db PATH".to_string())
}

/// One check as a line: when, how long ago, verdict, reason, the reply, the row id, and a
/// mark when the verdict differs from the check before it.
fn check_line(
    check: &StoredCheck,
    older: Option<crate::engine::judge::verdict::Verdict>,
    now: i64,
    color: bool,
) -> String {
    let report = &check.report;
    let reply = match report.smtp.as_ref().and_then(|s| s.code.map(|c| (s, c))) {
        Some((smtp, code)) => format!(
            "{code}{} {}",
            smtp.enhanced_code
                .map(|e| format!(" {e}"))
                .unwrap_or_default(),
            smtp.message.as_deref().unwrap_or_default()
        ),
        None => report.detail.clone(),
    };
    let mut line = format!(
        "{}  {:>9} ago  {:<13} {:<17} {}  #{}",
        rfc3339(check.checked_at_ms),
        age(check.checked_at_ms, now),
        report.verdict.as_str(),
        report.reason.as_str(),
        terminal_safe(&reply),
        check.id
    );
    if let Some(older) = older.filter(|v| *v != report.verdict) {
        let mark = format!("  <- changed (was {older})");
        line.push_str(&if color {
            mark.yellow().bold().to_string()
        } else {
            mark
        });
    }
    line
}

/// A domain's facts as one line.
fn domain_line(domain: &str, facts: &crate::history::store::DomainFacts) -> String {
    let now = now_ms();
    let when = |at: i64| format!("{} ago", age(at, now));
    let mx = facts
        .mx
        .as_ref()
        .and_then(|(json, at)| {
            let hosts: Vec<crate::engine::judge::verdict::MxRecord> =
                serde_json::from_str(json).ok()?;
            let names: Vec<String> = hosts
                .iter()
                .map(|m| format!("{} {}", m.preference, m.host))
                .collect();
            Some(format!("MX {} ({})", names.join(", "), when(*at)))
        })
        .unwrap_or_else(|| "MX not seen".into());
    let catch_all = match facts.catch_all {
        Some((yes, at)) => format!(
            "catch-all {} ({})",
            if yes { "yes" } else { "no" },
            when(at)
        ),
        None => "catch-all not tested".into(),
    };
    let refused = match &facts.refused_us {
        Some((detail, at)) => format!("refused us {}: {detail}", when(*at)),
        None => "never refused us".into(),
    };
    terminal_safe(&format!("{domain}: {mx} · {catch_all} · {refused}"))
}

/// One check as JSON: its row id, when, the sender setup, the report, and the transcript
/// when asked for.
fn json_line(check: &StoredCheck, transcript: Option<String>) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        id: i64,
        checked_at: String,
        helo: &'a str,
        mail_from: &'a str,
        route: &'a str,
        report: &'a Report,
        #[serde(skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
    }
    let line = Line {
        id: check.id,
        checked_at: rfc3339(check.checked_at_ms),
        helo: &check.sender.helo,
        mail_from: &check.sender.mail_from,
        route: &check.sender.route,
        report: &check.report,
        transcript,
    };
    crate::export::escape_json_controls(
        &serde_json::to_string(&line).expect("a history line always serialises"),
    )
}

/// `history import`: every report line of every file, into the history; bad lines are named
/// (file:line) and skipped.
fn import(files: &[PathBuf], db: &HistoryDbArgs) -> anyhow::Result<i32> {
    let path = match database(db) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("mxknock: {e}");
            return Ok(exit::USAGE);
        }
    };
    let opened = History::open(&path)?;
    if let Some((aside, why)) = &opened.moved_aside {
        eprintln!(
            "mxknock: history {}: {why}; moved to {} and a new history started",
            path.display(),
            aside.display()
        );
    }
    let mut history = opened.history;
    let (mut added, mut seen, mut bad) = (0, 0, 0);
    for file in files {
        let (records, bad_lines) = match read_reports(file) {
            Ok(read) => read,
            Err(e) => {
                eprintln!("mxknock: {}: {e}", file.display());
                return Ok(exit::USAGE);
            }
        };
        bad += bad_lines;
        seen += records.len();
        for chunk in records.chunks(crate::history::recorder::BATCH) {
            added += history.insert_new(chunk)?;
        }
    }
    eprintln!(
        "mxknock: imported {added} new checks of {seen} into {} ({} already there{})",
        path.display(),
        seen - added,
        if bad > 0 {
            format!(", {bad} bad lines skipped")
        } else {
            String::new()
        }
    );
    Ok(if bad > 0 { exit::USAGE } else { exit::OK })
}

/// The reports of a JSON lines file; a line that is not one is reported and counted.
fn read_reports(file: &Path) -> std::io::Result<(Vec<Record>, usize)> {
    let fallback_ms = std::fs::metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or_else(now_ms, |d| d.as_millis() as i64);
    let route = format!("imported from {}", file.display());
    let mut records = Vec::new();
    let mut bad = 0;
    for (i, line) in BufReader::new(std::fs::File::open(file)?)
        .lines()
        .enumerate()
    {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Report>(&line) {
            Ok(report) => {
                let checked_at_ms = report
                    .checked_at
                    .as_deref()
                    .and_then(crate::history::parse_rfc3339)
                    .unwrap_or(fallback_ms);
                records.push(Record {
                    report,
                    transcript: None,
                    sender: SenderSetup {
                        route: route.clone(),
                        asked_mx_hosts: true,
                        ..SenderSetup::default()
                    },
                    checked_at_ms,
                });
            }
            Err(e) => {
                bad += 1;
                eprintln!(
                    "mxknock: {}:{}: not a report: {e}; line skipped",
                    terminal_safe(&file.display().to_string()),
                    i + 1
                );
            }
        }
    }
    Ok((records, bad))
}
