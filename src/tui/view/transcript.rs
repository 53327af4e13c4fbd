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
use crate::engine::transcript::{Direction, TranscriptLine};
use crate::tui::app::{App, Pane};
use crate::tui::theme::Theme;

/// Draws the transcript pane: the live conversation, or a stored one (key H).
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if app.past.stored.is_some() {
        render_stored(frame, area, app, theme);
        return;
    }
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
    let rows = shown_rows(&detail.lines, app, height, |line| {
        wrapped(line, width, theme)
    });
    frame.render_widget(Paragraph::new(rows), inner);
}

/// The screen rows of `lines` a pane of `height` shows: following, the newest back until the
/// pane is full (shown oldest first); scrolled, from the transcript offset on. `rows_of`
/// wraps one line into its rows.
fn shown_rows<'a, T>(
    lines: &[T],
    app: &App,
    height: usize,
    rows_of: impl Fn(&T) -> Vec<Line<'a>>,
) -> Vec<Line<'a>> {
    if app.follow {
        let mut rows = Vec::new();
        for line in lines.iter().rev() {
            if rows.len() >= height {
                break;
            }
            rows.extend(rows_of(line).into_iter().rev());
        }
        rows.truncate(height);
        rows.reverse();
        rows
    } else {
        let start = app
            .transcript_offset
            .min(lines.len().saturating_sub(height));
        lines[start..]
            .iter()
            .flat_map(rows_of)
            .take(height)
            .collect()
    }
}

/// A stored conversation of the selected address, from the history.
///
/// ```text
/// ┌ stored transcript 1/3 · 3 h ago · deliverable (ok) ─────┐
/// │   0.041s  <-  220 mx1.lab.test ESMTP  (41 ms)           │
/// └──────────────────── [ older · ] newer · H live ─────────┘
/// ```
fn render_stored(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let title = match app.shown_stored_check() {
        Some((check, position, count)) => format!(
            " stored transcript {position}/{count} · {} ago · {} ({}) ",
            crate::history::age(check.checked_at_ms, app.past.read_at_ms),
            check.verdict,
            check.reason
        ),
        None => " stored transcript ".to_string(),
    };
    let block = pane_block(title, app.focus == Pane::Transcript, theme).title_bottom(
        Line::from(Span::styled(" [ older · ] newer · H live ", theme.dim)).right_aligned(),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(lines) = app.stored_transcript_lines() else {
        let text = if app.stored_transcript_missing() {
            "The history kept no conversation of this check."
        } else if app
            .selected_past()
            .is_some_and(|p| p.iter().all(|c| !c.has_transcript))
        {
            "The history keeps no conversation of this address."
        } else {
            "reading ..."
        };
        frame.render_widget(Paragraph::new(text).style(theme.dim), inner);
        return;
    };
    let height = inner.height as usize;
    let width = inner.width as usize;
    let rows = shown_rows(lines, app, height, |line| stored_rows(line, width, theme));
    frame.render_widget(Paragraph::new(rows), inner);
}

/// One stored line (`   1.234s  <-  250 ...`) as screen rows of `width`, continuation rows
/// indented under its text.
fn stored_rows<'a>(line: &str, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    const INDENT: usize = 15;
    let style = stored_style(line, theme);
    let chars: Vec<char> = line.chars().collect();
    let first = width.max(INDENT + 8).min(chars.len());
    let mut rows = vec![Line::from(Span::styled(
        chars[..first].iter().collect::<String>(),
        style,
    ))];
    let room = width.saturating_sub(INDENT).max(8);
    for chunk in chars[first..].chunks(room) {
        rows.push(Line::from(Span::styled(
            format!("{}{}", " ".repeat(INDENT), chunk.iter().collect::<String>()),
            style,
        )));
    }
    rows
}

/// The style of a stored line (`   1.234s  <-  250 ...`), by its mark.
fn stored_style(line: &str, theme: &Theme) -> ratatui::style::Style {
    let mark = line.split_whitespace().nth(1).unwrap_or_default();
    let direction = match mark {
        "->" | "~>" => Direction::Sent,
        "<-" | "<~" => Direction::Received,
        "<**" | "<~*" => Direction::Unexpected,
        _ => Direction::Info,
    };
    theme.direction(direction)
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
