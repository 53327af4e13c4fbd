//! Everything known about the selected address.
//!
//! ```text
//! ┌ alice@lab.test ─────────────────────────────────────────┐
//! │ verdict   deliverable (ok)  mailbox accepted: 250 2.1.5 │
//! │ flags     role_account                                  │
//! │ syntax    alice@lab.test                                │
//! │ MX        10 mx1.lab.test  ← answered                   │
//! │ SMTP      mx1.lab.test[127.0.0.11]:25                   │
//! │ TLS       TLSv1.3 TLS13_AES_256_GCM_SHA384 ...          │
//! └─────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::pane_block;
use crate::engine::judge::verdict::Report;
use crate::tui::app::{App, Pane};
use crate::tui::rows::Row;
use crate::tui::theme::Theme;

/// The detail's lines for the selected row, wrapped to `width` columns, or None when no row
/// is selected.
fn content<'a>(app: &'a App, theme: &Theme, width: usize) -> Option<(&'a Row, Vec<Line<'a>>)> {
    let row = &app.rows[app.selected_row()?];
    let detail = app.selected_detail();
    let past = past_lines(app, theme);
    let lines = match detail.and_then(|d| d.report.as_deref()) {
        Some(report) => report_lines(report, row, past, theme),
        None => {
            let mut lines = progress_lines(row, detail.and_then(|d| d.host.as_deref()), theme);
            lines.extend(past);
            lines
        }
    };
    Some((
        row,
        lines
            .into_iter()
            .flat_map(|line| hanging(line, width))
            .collect(),
    ))
}

/// Width of a field's label column.
const LABEL: usize = 10;

/// A `field` line (a label, then the value in one or more spans) wider than `width`, wrapped
/// at spaces with its continuation rows indented under the value, not under the label; each
/// word keeps its span's style. Other lines as they are.
fn hanging(line: Line<'_>, width: usize) -> Vec<Line<'_>> {
    let room = width.saturating_sub(LABEL).max(16);
    if line.width() <= width || line.spans.len() < 2 {
        return vec![line];
    }
    let mut spans = line.spans.into_iter();
    let label = spans.next().expect("two spans");
    let mut rows: Vec<Vec<Span>> = vec![Vec::new()];
    let mut used = 0;
    for span in spans {
        let style = span.style;
        for (i, word) in span.content.split(' ').enumerate() {
            // A space between words of one span, and where the spans themselves had none.
            let gap = usize::from(i > 0);
            let needed = word.chars().count() + gap;
            if used > 0 && used + needed > room {
                rows.push(Vec::new());
                used = 0;
            }
            // Spaces start a continuation row never, the first row as the value has them.
            let text = if (used > 0 || rows.len() == 1) && gap == 1 {
                format!(" {word}")
            } else {
                word.to_string()
            };
            used += text.chars().count();
            rows.last_mut()
                .expect("one row")
                .push(Span::styled(text, style));
        }
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, spans)| {
            let lead = if i == 0 {
                label.clone()
            } else {
                Span::raw(" ".repeat(LABEL))
            };
            Line::from(std::iter::once(lead).chain(spans).collect::<Vec<_>>())
        })
        .collect()
}

/// How far the detail in `area` can scroll: the wrapped height of its lines beyond what the
/// pane shows (each line wraps onto ceil(width / inner width) rows).
pub fn max_offset(app: &App, area: Rect) -> usize {
    let inner_width = area.width.saturating_sub(2).max(1) as usize;
    let inner_height = area.height.saturating_sub(2) as usize;
    let Some((_, lines)) = content(app, &Theme::mono(), inner_width) else {
        return 0;
    };
    let wrapped: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(inner_width).max(1))
        .sum();
    wrapped.saturating_sub(inner_height)
}

/// Draws the detail pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let inner_width = area.width.saturating_sub(2).max(1) as usize;
    let Some((row, lines)) = content(app, theme, inner_width) else {
        frame.render_widget(
            pane_block(" detail ", app.focus == Pane::Detail, theme),
            area,
        );
        return;
    };
    let block = pane_block(
        format!(" {} ", row.address),
        app.focus == Pane::Detail,
        theme,
    );
    let offset = app.detail_offset.min(app.detail_max_offset());
    let paragraph = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((offset.min(u16::MAX as usize) as u16, 0));
    frame.render_widget(paragraph, area);
}

/// The selected address's last stored checks, newest first, each with its age, verdict,
/// reason and reply; a verdict that differs from the check before it is marked. Nothing
/// without a history.
fn past_lines<'a>(app: &App, theme: &Theme) -> Vec<Line<'a>> {
    if !app.past.available {
        return Vec::new();
    }
    let Some(past) = app.selected_past() else {
        return vec![field("history", "reading ...", theme)];
    };
    if past.is_empty() {
        return vec![field(
            "history",
            "no stored check of this address yet",
            theme,
        )];
    }
    let now = app.past.read_at_ms;
    let mut lines: Vec<Line> = past
        .iter()
        .enumerate()
        .map(|(i, check)| {
            let label = if i == 0 { "history" } else { "" };
            let reply = check
                .reply
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            let mut spans = vec![
                Span::styled(format!("{label:<LABEL$}"), theme.label),
                Span::styled(
                    format!("{:>8} ago  ", crate::history::age(check.checked_at_ms, now)),
                    theme.dim,
                ),
                Span::styled(
                    format!("{} ({}){reply}", check.verdict, check.reason),
                    theme.verdict(check.verdict),
                ),
            ];
            if let Some(older) = past.get(i + 1).filter(|o| o.verdict != check.verdict) {
                spans.push(Span::styled(
                    format!("  <- changed (was {})", older.verdict),
                    theme.accent,
                ));
            }
            Line::from(spans)
        })
        .collect();
    if past.iter().any(|c| c.has_transcript) {
        lines.push(field("", "H shows their stored transcripts", theme));
    }
    lines
}

fn field<'a>(name: &'a str, value: impl Into<String>, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{name:<LABEL$}"), theme.label),
        Span::raw(value.into()),
    ])
}

fn progress_lines<'a>(row: &'a Row, host: Option<&'a str>, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![field("state", row.progress.label(), theme)];
    if let Some(host) = host {
        lines.push(field("host", host, theme));
    }
    if let (Some(v), Some(r)) = (row.verdict, row.reason) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", "verdict"), theme.label),
            Span::styled(format!("{v} ({r})"), theme.verdict(v)),
        ]));
        lines.push(field(
            "note",
            "details no longer kept; press r to re-check",
            theme,
        ));
    }
    lines
}

/// The lines of a finished check: verdict, why, score, when, then `past` (the stored checks
/// of the address), then the rest of what is known.
fn report_lines<'a>(
    report: &'a Report,
    row: &'a Row,
    past: Vec<Line<'a>>,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{:<10}", "verdict"), theme.label),
            Span::styled(
                format!("{} ({})", report.verdict, report.reason),
                theme.verdict(report.verdict),
            ),
        ]),
        field("why", report.detail.clone(), theme),
        field("score", format!("{}/100", report.score), theme),
    ];
    if let Some(at) = &report.checked_at {
        let when = if report.from_history {
            format!("{at}, from history (not asked again; r re-checks)")
        } else {
            at.clone()
        };
        lines.push(field("checked", when, theme));
    }
    lines.extend(past);
    let flags = report.flags.names();
    lines.push(field(
        "flags",
        if flags.is_empty() {
            "-".to_string()
        } else {
            flags.join(", ")
        },
        theme,
    ));
    if let Some(provider) = &report.provider {
        lines.push(field("provider", provider.name.clone(), theme));
        if let Some(note) = &provider.note {
            lines.push(field("", note.clone(), theme));
        }
    }
    if let Some(normalized) = &report.normalized {
        lines.push(field("syntax", normalized.clone(), theme));
    }
    if let Some(s) = &report.suggestion {
        lines.push(field("typo?", format!("did you mean {s}?"), theme));
    }
    if row.count > 1 {
        lines.push(field(
            "count",
            format!("{} times in the list", row.count),
            theme,
        ));
    }
    let answered = report.smtp.as_ref().map(|s| s.host.as_str());
    for (i, mx) in report.mx.iter().enumerate() {
        let mark = if Some(mx.host.as_str()) == answered
            && report.smtp.as_ref().is_some_and(|s| s.code.is_some())
        {
            "  ← answered"
        } else {
            ""
        };
        let implicit = if mx.implicit {
            " (implicit: A/AAAA)"
        } else {
            ""
        };
        lines.push(field(
            if i == 0 { "MX" } else { "" },
            format!("{} {}{implicit}{mark}", mx.preference, mx.host),
            theme,
        ));
    }
    if let Some(smtp) = &report.smtp {
        lines.push(field(
            "SMTP",
            format!("{}[{}]:{}", smtp.host, smtp.ip, smtp.port),
            theme,
        ));
        if let Some(code) = smtp.code {
            let enhanced = smtp
                .enhanced_code
                .map(|e| format!(" {e}"))
                .unwrap_or_default();
            lines.push(field(
                "reply",
                format!("{code}{enhanced} {}", smtp.message.as_deref().unwrap_or("")),
                theme,
            ));
        }
        if !smtp.extensions.is_empty() {
            lines.push(field("EHLO", smtp.extensions.join(" · "), theme));
        }
        match &smtp.tls {
            Some(tls) => {
                lines.push(field(
                    "TLS",
                    format!("{} {}", tls.version, tls.cipher),
                    theme,
                ));
                if let Some(subject) = &tls.subject {
                    lines.push(field("cert", subject.clone(), theme));
                }
                let validity = match (&tls.verified, &tls.verify_error) {
                    (true, _) => "valid for the host".to_string(),
                    (false, Some(e)) => format!("not valid: {e}"),
                    (false, None) => "not checked".to_string(),
                };
                lines.push(field("", validity, theme));
            }
            None => lines.push(field("TLS", "none", theme)),
        }
    }
    let accepted = report
        .smtp
        .as_ref()
        .and_then(|s| s.code)
        .is_some_and(|code| (200..300).contains(&code));
    let skipped_by = report.provider.as_ref().filter(|p| p.skips_probe);
    let catch_all = match (report.catch_all, skipped_by) {
        (Some(true), _) => "yes: the domain accepts any address".to_string(),
        (Some(false), _) => "no: a random address was refused".to_string(),
        (None, Some(provider)) if accepted => format!(
            "not probed: a probe tells nothing at {} (provider rule)",
            provider.name
        ),
        (None, _) if accepted => {
            "not tested (--no-catch-all, or the probe got no clear answer)".to_string()
        }
        (None, _) => "not needed: the address itself was not accepted".to_string(),
    };
    lines.push(field("catch-all", catch_all, theme));
    let s = &report.stages;
    let joined = s.connect_ms == 0
        && s.smtp_ms == 0
        && report
            .attempts
            .last()
            .is_some_and(|a| a.outcome.starts_with("joined"));
    let time = if joined {
        format!(
            "{} ms (DNS {} · in a session opened for another address)",
            report.duration_ms, s.dns_ms
        )
    } else {
        format!(
            "{} ms (DNS {} · connect {} · SMTP {})",
            report.duration_ms, s.dns_ms, s.connect_ms, s.smtp_ms
        )
    };
    lines.push(field("time", time, theme));
    for (i, attempt) in report.attempts.iter().enumerate() {
        let ip = attempt
            .ip
            .as_deref()
            .map(|ip| format!("[{ip}]"))
            .unwrap_or_default();
        lines.push(field(
            if i == 0 { "attempts" } else { "" },
            format!("{}{ip}: {}", attempt.host, attempt.outcome),
            theme,
        ));
    }
    lines
}
