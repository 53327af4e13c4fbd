//! The selected job's SMTP conversation, streaming, swaks style.
//!
//! ```text
//! ┌ transcript · following ─────────────────────────────────┐
//! │  0.041s <-  220 mx1.lab.test ESMTP              (41 ms) │
//! │  0.042s ->  EHLO verifier.example                       │
//! └──────────────────────────── 3 new lines (End: follow) ─┘
//! ```
//! Long lines wrap under their text. Line texts were sanitised by the engine: control and
//! escape bytes arrive as visible escapes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::pane_block;
use crate::engine::transcript::TranscriptLine;
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
    let width = inner.width as usize;
    let total = detail.lines.len();
    let rows: Vec<Line> = if app.follow {
        // From the newest line back until the pane is full, then shown oldest first.
        let mut rows = Vec::new();
        for line in detail.lines.iter().rev() {
            if rows.len() >= height {
                break;
            }
            rows.extend(wrapped(line, width, theme).into_iter().rev());
        }
        rows.truncate(height);
        rows.reverse();
        rows
    } else {
        let start = app.transcript_offset.min(total.saturating_sub(height));
        detail.lines[start..]
            .iter()
            .flat_map(|line| wrapped(line, width, theme))
            .take(height)
            .collect()
    };
    frame.render_widget(Paragraph::new(rows), inner);
}

/// Columns before a line's text: the time ("  0.041s ") and the mark ("<-  ").
const PREFIX: usize = 13;

/// One transcript line as screen rows of `width`: the time and mark on the first, the text
/// wrapped under itself, the response time at the end.
fn wrapped<'a>(line: &TranscriptLine, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let style = theme.direction(line.direction);
    let room = width.saturating_sub(PREFIX).max(8);
    let chars: Vec<char> = line.text.chars().collect();
    let mut rows: Vec<Line> = chars
        .chunks(room)
        .enumerate()
        .map(|(i, chunk)| {
            let lead = if i == 0 {
                Span::styled(format!("{:>7.3}s ", line.at.as_secs_f64()), theme.dim)
            } else {
                Span::raw(" ".repeat(9))
            };
            let mark = if i == 0 {
                format!("{:<3} ", line.mark())
            } else {
                "    ".to_string()
            };
            Line::from(vec![
                lead,
                Span::styled(format!("{mark}{}", chunk.iter().collect::<String>()), style),
            ])
        })
        .collect();
    if rows.is_empty() {
        rows.push(Line::from(vec![
            Span::styled(format!("{:>7.3}s ", line.at.as_secs_f64()), theme.dim),
            Span::styled(format!("{:<3} ", line.mark()), style),
        ]));
    }
    if let Some(rt) = line.response_time {
        let note = Span::styled(format!("  ({} ms)", rt.as_millis()), theme.dim);
        let last = rows.last_mut().expect("at least one row");
        if last.width() + note.width() <= width {
            last.spans.push(note);
        } else {
            rows.push(Line::from(vec![Span::raw(" ".repeat(PREFIX)), note]));
        }
    }
    rows
}
