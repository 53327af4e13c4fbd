//! The selected job's SMTP conversation, streaming, swaks style.
//!
//! ```text
//! ┌ transcript · following ─────────────────────────────────┐
//! │  0.041s <-  220 mx1.lab.test ESMTP              (41 ms) │
//! │  0.042s ->  EHLO verifier.example                       │
//! └──────────────────────────── 3 new lines (End: follow) ─┘
//! ```
//! Line texts were sanitised by the engine: control and escape bytes arrive as visible escapes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane_block;
use crate::tui::app::{App, Pane};
use crate::tui::theme::Theme;

/// Draws the transcript pane.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let state = if app.follow { "following" } else { "scrolled" };
    let mut block = pane_block(
        format!(" transcript · {state} "),
        app.focus == Pane::Transcript,
        theme,
    );
    if app.unseen_lines > 0 && !app.follow {
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(" {} new lines (End: follow) ", app.unseen_lines),
                theme.accent,
            ))
            .right_aligned(),
        );
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(detail) = app.selected_detail() else {
        let text = if app.selected_row().is_some() {
            "No transcript kept for this address (press r to re-check)."
        } else {
            ""
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim), inner);
        return;
    };
    let height = inner.height as usize;
    let total = detail.lines.len();
    let start = if app.follow {
        total.saturating_sub(height)
    } else {
        app.transcript_offset.min(total.saturating_sub(height))
    };
    let lines: Vec<Line> = detail.lines[start..(start + height).min(total)]
        .iter()
        .map(|line| {
            let mut spans = vec![
                Span::styled(format!("{:>7.3}s ", line.at.as_secs_f64()), theme.dim),
                Span::styled(
                    format!("{:<3} {}", line.mark(), line.text),
                    theme.direction(line.direction),
                ),
            ];
            if let Some(rt) = line.response_time {
                spans.push(Span::styled(
                    format!("  ({} ms)", rt.as_millis()),
                    theme.dim,
                ));
            }
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
