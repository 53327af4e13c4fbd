//! The address list. Only the visible slice of rows is built, so a million rows draw as fast
//! as ten.
//!
//! ```text
//! ┌ 24 addresses · filter all · sort input order ─────────────┐
//! │   address              verdict       reason      MX   ms  │
//! │ ✔ alice@lab.test       deliverable   ok          mx1  312 │
//! │ … bob@lab.test         checking      RCPT                  │
//! └───────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Row as TableRow, Table};

use super::pane_block;
use crate::tui::app::{App, Pane};
use crate::tui::rows::{Filter, Row};
use crate::tui::theme::{Theme, glyph};

/// Draws the list pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let server = app
        .server
        .as_deref()
        .map(|s| format!("· --server {s} "))
        .unwrap_or_default();
    let title = format!(
        " {} of {} addresses · filter {} · sort {} {server}",
        app.view_len(),
        app.rows.len(),
        app.filter_label(),
        app.sort.label()
    );
    let block = pane_block(title, app.focus == Pane::List, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.rows.is_empty() {
        let hint = Line::from(vec![
            Span::raw("No addresses yet. Press "),
            Span::styled(
                first_key(app, crate::tui::action::Action::Add),
                theme.accent,
            ),
            Span::raw(" to add one, "),
            Span::styled(
                first_key(app, crate::tui::action::Action::Open),
                theme.accent,
            ),
            Span::raw(" to open a list, "),
            Span::styled(
                first_key(app, crate::tui::action::Action::Help),
                theme.accent,
            ),
            Span::raw(" for help."),
        ]);
        frame.render_widget(
            ratatui::widgets::Paragraph::new(hint).wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    if app.view_len() == 0 {
        let text = match app.filter {
            Filter::All => "Nothing to show.".to_string(),
            f => format!("No {} addresses. Press 0 to show all.", f.label()),
        };
        frame.render_widget(
            ratatui::widgets::Paragraph::new(text).style(theme.dim),
            inner,
        );
        return;
    }
    let visible = inner.height.saturating_sub(1) as usize;
    // Columns by width: the reason from 60 columns, the MX host, time and score from 80, the
    // mail provider from 110.
    let wide = inner.width >= 60;
    let with_host = inner.width >= 80;
    let with_provider = inner.width >= 110;
    let rows: Vec<TableRow> = (app.offset..(app.offset + visible).min(app.view_len()))
        .filter_map(|position| {
            let row = &app.rows[app.row_at(position)?];
            let selected = position == app.selected;
            Some(table_row(
                row,
                (wide, with_host, with_provider),
                selected,
                app,
                theme,
            ))
        })
        .collect();
    let header = match (wide, with_host) {
        (true, true) if with_provider => TableRow::new([
            "", "address", "verdict", "reason", "provider", "MX", "ms", "score",
        ]),
        (true, true) => TableRow::new(["", "address", "verdict", "reason", "MX", "ms", "score"]),
        (true, false) => TableRow::new(["", "address", "verdict", "reason"]),
        _ => TableRow::new(["", "address", "verdict"]),
    }
    .style(theme.label);
    let widths: Vec<Constraint> = if wide && !with_host {
        vec![
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(13),
            Constraint::Length(17),
        ]
    } else if wide {
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Fill(4),
            Constraint::Length(13),
            Constraint::Length(17),
            Constraint::Fill(1),
            Constraint::Length(6),
            Constraint::Length(5),
        ];
        if with_provider {
            widths.insert(4, Constraint::Length(12));
        }
        widths
    } else {
        vec![
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(13),
        ]
    };
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        inner,
    );
}

/// One list row; `columns` says which optional columns are shown (reason; MX and time;
/// provider).
fn table_row<'a>(
    row: &'a Row,
    (wide, with_host, with_provider): (bool, bool, bool),
    selected: bool,
    app: &App,
    theme: &Theme,
) -> TableRow<'a> {
    let now = app.now;
    let verdict_style = row.verdict.map(|v| theme.verdict(v)).unwrap_or(theme.dim);
    let (verdict, reason) = match (row.verdict, row.reason) {
        (Some(v), Some(r)) => (v.as_str().to_string(), r.as_str().to_string()),
        _ if wide => {
            let (word, detail) = row.live_cells(now);
            let held = app.paused && row.progress == crate::tui::rows::Progress::Greylisted;
            let detail = if held {
                "held: paused".to_string()
            } else {
                detail
            };
            (word.to_string(), detail)
        }
        _ => (row.live_label_compact(now), String::new()),
    };
    let address = if row.count > 1 {
        format!("{} (×{})", row.address, row.count)
    } else {
        row.address.to_string()
    };
    let mut cells = vec![
        Span::styled(glyph(row.verdict), verdict_style),
        Span::raw(address),
        Span::styled(verdict, verdict_style),
    ];
    if wide {
        cells.push(Span::styled(reason, verdict_style));
    }
    if with_provider {
        let provider = row.provider.and_then(|p| app.providers.id(p)).unwrap_or("");
        cells.push(Span::styled(provider.to_string(), theme.dim));
    }
    if with_host {
        cells.push(Span::styled(
            row.mx_host.as_deref().unwrap_or("").to_string(),
            theme.dim,
        ));
        let (ms, score) = if row.verdict.is_some() {
            (row.duration_ms.to_string(), row.score.to_string())
        } else {
            (String::new(), String::new())
        };
        cells.push(Span::styled(ms, theme.dim));
        cells.push(Span::styled(score, verdict_style));
    }
    let table_row = TableRow::new(cells);
    if selected {
        table_row.style(theme.selected)
    } else {
        table_row
    }
}

fn first_key(app: &App, action: crate::tui::action::Action) -> String {
    app.keymap
        .keys_for(action)
        .into_iter()
        .next()
        .unwrap_or_else(|| "?".into())
}
