//! Text formats of the headless commands: a transcript line (swaks style), a one-line result,
//! and the JSON object. Pure functions: they return strings and never write.

use crossterm::style::Stylize;

use crate::engine::transcript::{Direction, TranscriptLine};
use crate::engine::verdict::{Report, Verdict};

/// `  0.123s  <-  250 2.1.5 Ok  (12 ms)`
pub fn transcript_line(line: &TranscriptLine, color: bool) -> String {
    let at = format!("{:>8.3}s", line.at.as_secs_f64());
    let timing = line
        .response_time
        .map(|t| format!("  ({} ms)", t.as_millis()))
        .unwrap_or_default();
    let body = format!("{:<3} {}", line.mark(), line.text);
    if !color {
        return format!("{at}  {body}{timing}");
    }
    let body = match line.direction {
        Direction::Sent => body.cyan().to_string(),
        Direction::Received => body.green().to_string(),
        Direction::Unexpected => body.red().to_string(),
        Direction::Info => body.dark_grey().to_string(),
    };
    format!("{}  {body}{}", at.dark_grey(), timing.dark_grey())
}

/// `alice@lab.test  deliverable  ok  250 2.1.5 Ok  [mx1.lab.test]  flags: role_account`
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
    let mut line = format!("{}  {verdict}  {}", report.address, report.reason);
    match report.smtp.as_ref().and_then(|s| s.code.map(|c| (s, c))) {
        Some((smtp, code)) => {
            let enhanced = smtp
                .enhanced_code
                .map(|e| format!(" {e}"))
                .unwrap_or_default();
            let message = smtp.message.as_deref().unwrap_or_default();
            line.push_str(&format!("  {code}{enhanced} {message}  [{}]", smtp.host));
        }
        None => line.push_str(&format!("  {}", report.detail)),
    }
    let flags = report.flags.names();
    if !flags.is_empty() {
        line.push_str(&format!("  flags: {}", flags.join(",")));
    }
    if let Some(suggestion) = &report.suggestion {
        line.push_str(&format!("  did you mean {suggestion}?"));
    }
    line
}

/// The report as one line of JSON.
pub fn json_line(report: &Report) -> String {
    serde_json::to_string(report).expect("a report always serialises")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::verdict::Reason;

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
    fn colour_adds_escapes_only_when_asked() {
        let report = Report::new("a@b.test", Reason::Ok, "ok");
        assert!(!result_line(&report, false).contains('\x1b'));
        assert!(result_line(&report, true).contains('\x1b'));
    }
}
