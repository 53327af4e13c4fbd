//! The text form of a doctor report: a line of context, one line per check (`pass  port 25
//! ...` / `fail  rDNS ... — fix: ...`), and a closing count. Pure: returns strings. Every
//! piece of text goes through [`terminal_safe`]; colour only when asked.

use crossterm::style::Stylize;

use super::report::{Check, DoctorReport, Status};
use crate::text::terminal_safe;

/// Width of the check-name column.
const NAME_WIDTH: usize = 14;

/// One check as a line: status, name, summary and, when there is one, the fix.
pub fn check_line(check: &Check, color: bool) -> String {
    let word = format!("{:<4}", check.status.word());
    let word = if color {
        match check.status {
            Status::Pass => word.green().to_string(),
            Status::Warn => word.yellow().to_string(),
            Status::Fail => word.red().to_string(),
            Status::Skipped => word.dark_grey().to_string(),
        }
    } else {
        word
    };
    let mut line = format!(
        "{word}  {:<NAME_WIDTH$}{}",
        check.name,
        terminal_safe(&check.summary)
    );
    if let Some(fix) = &check.fix {
        line.push_str(" — fix: ");
        line.push_str(&terminal_safe(fix));
    }
    line
}

/// What was probed and with which names, for the first line.
pub fn context_line(report: &DoctorReport) -> String {
    let probed: Vec<String> = report
        .probes
        .iter()
        .flat_map(|p| std::iter::once(&p.domain).chain(&p.also_for))
        .map(|d| terminal_safe(d))
        .collect();
    let from = if report.from.is_empty() {
        "<> (the null sender)".to_string()
    } else {
        format!("<{}>", terminal_safe(&report.from))
    };
    format!(
        "mxknock doctor: probing {} as EHLO {}, MAIL FROM {from}",
        probed.join(", "),
        terminal_safe(&report.helo)
    )
}

/// The closing count: `6 pass, 1 warn, 0 fail, 2 skipped: exit 4`.
pub fn count_line(report: &DoctorReport) -> String {
    let count = |status| report.checks.iter().filter(|c| c.status == status).count();
    format!(
        "{} pass, {} warn, {} fail, {} skipped: exit {}",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skipped),
        report.exit_code
    )
}

/// The whole report as text, one line each, with a trailing newline.
pub fn render(report: &DoctorReport, color: bool) -> String {
    let mut out = context_line(report);
    out.push('\n');
    for check in &report.checks {
        out.push_str(&check_line(check, color));
        out.push('\n');
    }
    out.push_str(&count_line(report));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_lines_show_status_name_summary_and_fix_escaped() {
        let line = check_line(
            &Check::fail("rDNS", "203.0.113.9 has no PTR record", "ask\u{1b}[2J"),
            false,
        );
        assert_eq!(
            line,
            r"fail  rDNS          203.0.113.9 has no PTR record — fix: ask\x1b[2J"
        );
        let pass = check_line(&Check::pass("port 25", "mx answered 220 hi"), false);
        assert_eq!(pass, "pass  port 25       mx answered 220 hi");
        assert!(!pass.contains('\x1b'));
        assert!(check_line(&Check::pass("x", "y"), true).contains('\x1b'));
        let report = DoctorReport::new(vec![Check::skipped("SPF", "no sender")]);
        assert_eq!(
            count_line(&report),
            "0 pass, 0 warn, 0 fail, 1 skipped: exit 0"
        );
    }
}
