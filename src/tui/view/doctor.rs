//! The doctor's window (key D), drawn over the panes: the report of `mxknock doctor` for
//! this machine, one line per check as on the command line, or how far it has got. Reads
//! `&App` only.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::doctor::{Check, Status, human};
use crate::text::terminal_safe;
use crate::tui::app::{App, DoctorView};
use crate::tui::theme::Theme;

/// The style of a status word.
fn status_style(status: Status, theme: &Theme) -> Style {
    use crate::engine::judge::verdict::Verdict;
    match status {
        Status::Pass => theme.verdict(Verdict::Deliverable),
        Status::Warn => theme.verdict(Verdict::Risky),
        Status::Fail => theme.verdict(Verdict::Undeliverable),
        Status::Skipped => theme.dim,
    }
}

/// One check as a line of spans: status, name, summary, fix.
fn check_line<'a>(check: &Check, theme: &Theme) -> Line<'a> {
    let mut spans = vec![
        Span::styled(
            format!("{:<4}", check.status.word()),
            status_style(check.status, theme),
        ),
        Span::styled(format!("  {:<14}", check.name), theme.label),
        Span::raw(terminal_safe(&check.summary)),
    ];
    if let Some(fix) = &check.fix {
        spans.push(Span::styled(" — fix: ", theme.dim));
        spans.push(Span::raw(terminal_safe(fix)));
    }
    Line::from(spans)
}

/// The lines the window shows for the doctor's state.
pub fn lines<'a>(view: &DoctorView, theme: &Theme) -> Vec<Line<'a>> {
    match view {
        DoctorView::NotRun => vec![Line::from("the doctor has not run yet")],
        DoctorView::Running => vec![Line::from(
            "checking this machine: outbound port 25, the IP the servers see, its reverse DNS, the HELO name, blocklists, MAIL FROM, the sender's SPF ...",
        )],
        DoctorView::Unavailable(why) => vec![Line::styled(terminal_safe(why), theme.error)],
        DoctorView::Done(report) => {
            let mut lines = vec![Line::styled(human::context_line(report), theme.dim)];
            lines.extend(report.checks.iter().map(|c| check_line(c, theme)));
            lines.push(Line::styled(human::count_line(report), theme.label));
            lines
        }
    }
}

/// Draws the window, most of the screen, centred.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let width = area.width.saturating_sub(4).max(20).min(area.width);
    let height = area.height.saturating_sub(2).max(5).min(area.height);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    let title = match app.doctor {
        DoctorView::Running => " doctor: running … (Esc: close) ",
        _ => " doctor (r: run again, j/k: scroll, Esc: close) ",
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme.focus_border);
    let lines = lines(&app.doctor, theme);
    let offset = app.doctor_offset.min(lines.len().saturating_sub(1));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((offset as u16, 0)),
        rect,
    );
}
