//! The status bar: counts per verdict, progress, rate, ETA, sessions, paused.
//!
//! ```text
//! ✔ 12  ! 3  ? 2  ✘ 5  ▕██████░░░░▏ 22/40  3.1/s  ETA 6s  sessions 4  PAUSED
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use crate::engine::judge::verdict::Verdict;
use crate::tui::app::App;
use crate::tui::theme::{Theme, glyph};

/// Draws the status bar.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut left = Vec::new();
    for verdict in Verdict::ALL {
        left.push(Span::styled(
            format!("{} {} ", glyph(Some(verdict)), app.counts[verdict as usize]),
            theme.verdict(verdict),
        ));
    }
    let mut right = vec![Span::raw(format!(" {}/{} ", app.done, app.rows.len()))];
    if app.rate() > 0.0 {
        right.push(Span::styled(format!("{:.1}/s ", app.rate()), theme.dim));
    }
    if let Some(eta) = app.eta() {
        right.push(Span::styled(
            format!("ETA {} ", human_duration(eta.as_secs())),
            theme.dim,
        ));
    }
    right.push(Span::styled(
        format!("sessions {} ", app.open_sessions),
        theme.dim,
    ));
    if !app.refused_us.is_empty() {
        let hosts = if app.refused_us.len() == 1 {
            "1 host".to_string()
        } else {
            format!("{} hosts", app.refused_us.len())
        };
        right.push(Span::styled(format!(" refused by {hosts} "), theme.error));
    }
    if app.notices.port_blocked().is_some() {
        right.push(Span::styled(" PORT 25 BLOCKED ", theme.error));
    }
    if app.paused {
        right.push(Span::styled(" PAUSED ", theme.error));
    }
    let left_width = left.iter().map(|s| s.width()).sum::<usize>() as u16;
    let right_width = right.iter().map(|s| s.width()).sum::<usize>() as u16;
    let [counts, gauge, rest] = Layout::horizontal([
        Constraint::Length(left_width),
        Constraint::Fill(1),
        Constraint::Length(right_width),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), counts);
    if gauge.width >= 4 {
        let ratio = if app.rows.is_empty() {
            0.0
        } else {
            app.done as f64 / app.rows.len() as f64
        };
        frame.render_widget(
            Gauge::default()
                .ratio(ratio.clamp(0.0, 1.0))
                .label(format!("{:.0}%", ratio * 100.0))
                .gauge_style(theme.focus_border),
            gauge,
        );
    }
    frame.render_widget(Paragraph::new(Line::from(right)), rest);
}

/// 75 -> "1m15s".
pub fn human_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}
