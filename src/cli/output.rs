//! Text formats of the headless commands: a transcript line (swaks style) and a one-line
//! result; the JSON object is [`crate::export::JsonlWriter`]'s. Pure functions: they return
//! strings and never write.
//!
//! Every piece of text that came from the user or a server goes through [`terminal_safe`] (in [`crate::text`]), so
//! an address or a reply cannot move the cursor, retitle the terminal or hide text; JSON
//! escapes the controls serde_json leaves raw ([`crate::export::json_record`]).

use crossterm::style::Stylize;

use crate::engine::judge::verdict::{Report, Verdict};
use crate::engine::transcript::{Direction, TranscriptLine};
use crate::text::terminal_safe;

/// `  0.123s  <-  250 2.1.5 Ok  (12 ms)`: the line's one text form
/// ([`TranscriptLine::text_form`]), coloured when asked.
pub fn transcript_line(line: &TranscriptLine, color: bool) -> String {
    let form = line.text_form();
    if !color {
        return form.to_string();
    }
    let body = match line.direction {
        Direction::Sent => form.body.cyan().to_string(),
        Direction::Received => form.body.green().to_string(),
        Direction::Unexpected => form.body.red().to_string(),
        Direction::Info => form.body.dark_grey().to_string(),
    };
    format!("{}  {body}{}", form.at.dark_grey(), form.timing.dark_grey())
}

/// Colour when asked, or on a terminal with NO_COLOR unset or empty.
pub fn use_color(mode: crate::config::ColorMode) -> bool {
    use crate::config::ColorMode;
    match mode {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => {
            std::io::IsTerminal::is_terminal(&std::io::stdout())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// `alice@lab.test  deliverable  ok  250 2.1.5 Ok  [mx1.lab.test]  score 98  provider google  flags: role_account`
pub fn result_line(report: &Report, color: bool) -> String {
    let verdict = report.verdict.as_str();
    let verdict = if color {
        match report.verdict {
            Verdict::Deliverable => verdict.green().to_string(),
            Verdict::Risky => verdict.yellow().to_string(),
            Verdict::Unknown => verdict.magenta().to_string(),
            Verdict::Undeliverable => verdict.red().to_string(),
        }
    } else {
        verdict.to_string()
    };
    let address = terminal_safe(&report.address);
    let mut line = format!("{address}  {verdict}  {}", report.reason);
    match report.smtp.as_ref().and_then(|s| s.code.map(|c| (s, c))) {
        Some((smtp, code)) => {
            let enhanced = smtp
                .enhanced_code
                .map(|e| format!(" {e}"))
                .unwrap_or_default();
            let message = terminal_safe(smtp.message.as_deref().unwrap_or_default());
            let host = terminal_safe(&smtp.host);
            line.push_str(&format!("  {code}{enhanced} {message}  [{host}]"));
        }
        None => line.push_str(&format!("  {}", terminal_safe(&report.detail))),
    }
    if report.verdict != Verdict::Undeliverable {
        line.push_str(&format!("  score {}", report.score)); // always 0 when undeliverable
    }
    if let Some(provider) = &report.provider {
        line.push_str(&format!("  provider {}", terminal_safe(&provider.id)));
    }
    let flags = report.flags.names();
    if !flags.is_empty() {
        line.push_str(&format!("  flags: {}", flags.join(",")));
    }
    if let Some(suggestion) = &report.suggestion {
        line.push_str(&format!("  did you mean {}?", terminal_safe(suggestion)));
    }
    if report.from_history {
        let checked = report
            .checked_at
            .as_deref()
            .and_then(crate::history::parse_rfc3339);
        match checked {
            Some(ms) => line.push_str(&format!(
                "  (from history, checked {} ago)",
                crate::history::age(ms, crate::history::now_ms())
            )),
            None => line.push_str("  (from history)"),
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::judge::verdict::Reason;

    #[test]
    fn transcript_lines_show_time_mark_text_and_response_time() {
        let line = TranscriptLine {
            at: Duration::from_millis(1234),
            direction: Direction::Received,
            tls: true,
            text: "250 2.1.5 Ok".into(),
            response_time: Some(Duration::from_millis(12)),
        };
        assert_eq!(
            transcript_line(&line, false),
            "   1.234s  <~  250 2.1.5 Ok  (12 ms)"
        );
    }

    #[test]
    fn result_line_without_smtp_shows_the_detail() {
        let report = Report::new(
            "x@nxdomain.test",
            Reason::NoSuchDomain,
            "nxdomain.test does not exist",
        );
        let line = result_line(&report, false);
        assert_eq!(
            line,
            "x@nxdomain.test  undeliverable  no_such_domain  nxdomain.test does not exist"
        );
    }

    #[test]
    fn result_line_shows_score_and_provider_unless_undeliverable() {
        let mut report = Report::new("a@b.test", Reason::AcceptAll, "accepts all");
        report.score = 42;
        report.provider = Some(crate::engine::knowledge::providers::ProviderTag {
            id: "proofpoint".into(),
            name: "Proofpoint".into(),
            note: None,
            skips_probe: false,
        });
        let line = result_line(&report, false);
        assert!(line.ends_with("  score 42  provider proofpoint"), "{line}");
        let gone = Report::new("a@b.test", Reason::NoSuchUser, "no such user");
        assert!(!result_line(&gone, false).contains("score"));
    }

    #[test]
    fn user_and_server_text_is_escaped_in_result_and_transcript_lines() {
        let mut report = Report::new("\u{1b}]0;x\u{7}a@b.test", Reason::NoSuchUser, "d\u{9b}2J");
        assert_eq!(
            result_line(&report, false),
            r"\x1b]0;x\x07a@b.test  undeliverable  no_such_user  d\u{9b}2J"
        );
        report.smtp = Some(crate::engine::judge::verdict::SmtpFacts {
            host: "mx\u{1b}[2J.test".into(),
            code: Some(550),
            message: Some("gone\u{202e}".into()),
            ..Default::default()
        });
        report.suggestion = Some("a@b\u{7}.test".into());
        let line = result_line(&report, true);
        assert!(
            line.contains(r"550 gone\u{202e}  [mx\x1b[2J.test]"),
            "{line}"
        );
        assert!(line.contains(r"did you mean a@b\x07.test?"), "{line}");
        let transcript = TranscriptLine {
            at: Duration::ZERO,
            direction: Direction::Received,
            tls: false,
            text: "220 \u{1b}[31mhi".into(),
            response_time: None,
        };
        assert!(transcript_line(&transcript, false).ends_with(r"220 \x1b[31mhi"));
    }

    #[test]
    fn colour_adds_escapes_only_when_asked() {
        let report = Report::new("a@b.test", Reason::Ok, "ok");
        assert!(!result_line(&report, false).contains('\x1b'));
        assert!(result_line(&report, true).contains('\x1b'));
    }
}
