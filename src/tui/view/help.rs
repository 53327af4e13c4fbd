//! The help screen (generated from the keymap) and the quit question, drawn over the panes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::app::{App, Effect};
use crate::tui::theme::Theme;

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// The notes under the keys.
const NOTES: [&str; 2] = [
    "in the input line: ←/→ Home End, C-a C-e C-u C-w, Enter, Esc",
    "rebind keys in the config file under [keys]",
];

/// Draws the key help: as many columns as the height needs, the notes below.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let help = app.keymap.help();
    let key_width = help
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(1);
    let what_width = help
        .iter()
        .map(|(_, w)| w.chars().count())
        .max()
        .unwrap_or(1);
    let column_width = (key_width + 2 + what_width + 3) as u16;
    let notes_height = NOTES.len() as u16 + 1;
    let room = area.height.saturating_sub(2 + notes_height).max(1) as usize;
    let columns = help.len().div_ceil(room).max(1);
    let rows = help.len().div_ceil(columns).max(1);
    let notes_width = NOTES
        .iter()
        .map(|n| n.chars().count() + 2)
        .max()
        .unwrap_or(0) as u16;
    let width = (column_width * columns as u16).max(notes_width) + 2;
    let rect = centered(area, width, rows as u16 + notes_height + 2);
    let block = Block::bordered()
        .title(" keys (? or Esc to close) ")
        .border_style(theme.focus_border);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let [body, notes] =
        Layout::vertical([Constraint::Length(rows as u16), Constraint::Min(0)]).areas(inner);
    let column_areas =
        Layout::horizontal(vec![Constraint::Length(column_width); columns]).split(body);
    for (chunk, column) in help.chunks(rows).zip(column_areas.iter()) {
        let lines: Vec<Line> = chunk
            .iter()
            .map(|(keys, what)| {
                Line::from(vec![
                    Span::styled(format!(" {keys:>key_width$}  "), theme.accent),
                    Span::raw(*what),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), *column);
    }
    let mut note_lines = vec![Line::from("")];
    note_lines.extend(
        NOTES
            .iter()
            .map(|n| Line::from(Span::styled(format!(" {n}"), theme.dim))),
    );
    frame.render_widget(Paragraph::new(note_lines), notes);
}

/// Draws "FILE exists. Overwrite it? (y/n)".
pub fn confirm_overwrite(frame: &mut Frame, area: Rect, effect: &Effect, theme: &Theme) {
    let path = match effect {
        Effect::Export { path, .. } | Effect::SaveTranscript { path, .. } => path.display(),
        _ => return,
    };
    let text = format!("{path} exists. Overwrite it? (y/n)");
    let rect = centered(area, text.chars().count() as u16 + 4, 3);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().border_style(theme.error)),
        rect,
    );
}

/// Draws "N checks are still running. Quit? (y/n)".
pub fn confirm_quit(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = format!(
        "{} not finished. Quit anyway? (y/n)",
        crate::tui::count(app.pending(), "check")
    );
    let rect = centered(area, text.len() as u16 + 4, 3);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().border_style(theme.error)),
        rect,
    );
}
