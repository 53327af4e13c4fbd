//! The help screen (generated from the keymap) and the quit question, drawn over the panes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::app::App;
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

/// Draws the key help.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let help = app.keymap.help();
    let mut lines: Vec<Line> = help
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!("{keys:>14}  "), theme.accent),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "  in the input line: ←/→ Home End, C-a C-e C-u C-w, Enter, Esc",
        theme.dim,
    )));
    lines.push(Line::from(Span::styled(
        "  rebind keys in the config file under [keys]",
        theme.dim,
    )));
    let height = lines.len() as u16 + 2;
    let rect = centered(area, 64, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" keys (? or Esc to close) ")
                .border_style(theme.focus_border),
        ),
        rect,
    );
}

/// Draws "N checks are still running. Quit? (y/n)".
pub fn confirm_quit(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = format!(
        "{} checks are not finished. Quit anyway? (y/n)",
        app.pending()
    );
    let rect = centered(area, text.len() as u16 + 4, 3);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().border_style(theme.error)),
        rect,
    );
}
