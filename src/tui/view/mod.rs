//! Drawing: one render function per region, each only reading `&App`.
//!
//! ```text
//! ┌ banner (only when there is one) ───────────────────────────┐
//! ┌ list ───────────────────┐┌ detail ─────────────────────────┐
//! │ ✔ alice@lab.test  deliv ││ verdict, reason, flags, MX ...  │
//! │ ✘ nobody@lab.test undel │└─────────────────────────────────┘
//! │                         │┌ transcript ─────────────────────┐
//! │                         ││ 0.012s <- 220 mx1.lab.test ...  │
//! └─────────────────────────┘└─────────────────────────────────┘
//!  status: counts, progress gauge, rate, ETA, sessions, paused
//!  footer: key hints, or the input line
//! ```
//! Under 100 columns the list sits above one right-hand pane (the transcript, or the detail
//! when it has the focus).

pub mod detail;
pub mod doctor;
pub mod help;
pub mod list;
pub mod status;
pub mod transcript;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::app::{App, Mode, Pane, Viewport};
use super::theme::Theme;

/// The rectangles of one frame; the app is told them as its [`Viewport`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    /// Banner line, if shown.
    pub banner: Option<Rect>,
    /// The list pane.
    pub list: Rect,
    /// The detail pane (zero-sized when hidden).
    pub detail: Rect,
    /// The transcript pane (zero-sized when hidden).
    pub transcript: Rect,
    /// The status bar.
    pub status: Rect,
    /// The footer.
    pub footer: Rect,
}

impl Areas {
    /// What the app is told of this layout of `screen` (see `App::set_viewport`).
    pub fn viewport(&self, screen: Rect) -> Viewport {
        Viewport {
            screen,
            list: self.list,
            detail: self.detail,
            transcript: self.transcript,
        }
    }
}

/// Splits the screen for `app`.
pub fn layout(area: Rect, app: &App) -> Areas {
    let banner_height = app
        .banner
        .as_ref()
        .map_or(0, |b| banner_lines(&b.text, b.error, area.width));
    let [banner, main, status, footer] = Layout::vertical([
        Constraint::Length(banner_height),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut areas = Areas {
        banner: (banner_height > 0).then_some(banner),
        status,
        footer,
        ..Areas::default()
    };
    if area.width >= 100 {
        let [list, right] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(main);
        let [detail, transcript] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(right);
        areas.list = list;
        areas.detail = detail;
        areas.transcript = transcript;
    } else {
        let [list, lower] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(main);
        areas.list = list;
        if app.focus == Pane::Detail {
            areas.detail = lower;
        } else {
            areas.transcript = lower;
        }
    }
    areas
}

/// How many lines the banner takes: its text wrapped to the width, at most 3.
fn banner_lines(text: &str, error: bool, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let hint = if error { 13 } else { 0 };
    let needed = (text.chars().count() + 1 + hint).div_ceil(width);
    needed.clamp(1, 3) as u16
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let areas = layout(frame.area(), app);
    if let (Some(area), Some(banner)) = (areas.banner, &app.banner) {
        let style = if banner.error {
            theme.error
        } else {
            theme.info
        };
        let hint = if banner.error { "  (Esc: hide)" } else { "" };
        frame.render_widget(
            Paragraph::new(format!(" {}{hint}", banner.text))
                .style(style)
                .wrap(ratatui::widgets::Wrap { trim: false }),
            area,
        );
    }
    list::render(frame, areas.list, app, theme);
    if areas.detail.area() > 0 {
        detail::render(frame, areas.detail, app, theme);
    }
    if areas.transcript.area() > 0 {
        transcript::render(frame, areas.transcript, app, theme);
    }
    status::render(frame, areas.status, app, theme);
    footer(frame, areas.footer, app, theme);
    match &app.mode {
        Mode::Help => help::render(frame, frame.area(), app, theme),
        Mode::ConfirmQuit => help::confirm_quit(frame, frame.area(), app, theme),
        Mode::ConfirmOverwrite(effect) => {
            help::confirm_overwrite(frame, frame.area(), effect, theme)
        }
        Mode::Doctor => doctor::render(frame, frame.area(), app, theme),
        _ => {}
    }
}

/// A pane's block, highlighted when focused.
pub fn pane_block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::bordered().title(title).border_style(if focused {
        theme.focus_border
    } else {
        theme.border
    })
}

fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = match &app.mode {
        Mode::Prompt(prompt) => {
            let failed = prompt.kind == super::prompt::PromptKind::Search && app.search_failed;
            let label = prompt.kind.label();
            let room = (area.width as usize).saturating_sub(label.chars().count() + 1);
            let (shown, cursor) = input_window(&prompt.text(), prompt.cursor(), room);
            // An untouched default shows dim: typing replaces it.
            let text_style = if prompt.shows_default() {
                theme.dim
            } else {
                ratatui::style::Style::default()
            };
            let mut spans = vec![
                Span::styled(label, theme.label),
                Span::styled(shown, text_style),
            ];
            if prompt.shows_default() {
                spans.push(Span::styled("  (type to replace, ← to edit)", theme.dim));
            }
            if failed {
                spans.push(Span::styled("  (no match)", theme.error));
            }
            let cursor_x = area.x + (label.chars().count() + cursor) as u16;
            frame.set_cursor_position((cursor_x.min(area.right().saturating_sub(1)), area.y));
            Line::from(spans)
        }
        _ => {
            let mut spans = Vec::new();
            let mut width = 0;
            for (key, what) in app.keymap.footer() {
                let hint = [
                    Span::styled(format!(" {key}"), theme.accent),
                    Span::styled(format!(" {what} "), theme.dim),
                ];
                let hint_width: usize = hint.iter().map(Span::width).sum();
                if width + hint_width > area.width as usize {
                    break;
                }
                width += hint_width;
                spans.extend(hint);
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line).style(Style::new()), area);
}

/// The part of the input `text` that fits in `room` columns with the cursor (a char index) in
/// view, and the cursor's column in it. Text cut off on the left starts with "…".
pub fn input_window(text: &str, cursor: usize, room: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < room || room < 2 {
        return (text.to_string(), cursor);
    }
    let start = (cursor + 1).saturating_sub(room).min(chars.len());
    if start == 0 {
        return (chars[..room].iter().collect(), cursor);
    }
    let end = (start + room).min(chars.len());
    let shown: String = std::iter::once('…')
        .chain(chars[start + 1..end].iter().copied())
        .collect();
    (shown, cursor - start)
}

#[cfg(test)]
mod tests {
    use super::input_window;

    #[test]
    fn the_input_line_scrolls_to_keep_the_cursor_in_view() {
        assert_eq!(input_window("short", 5, 20), ("short".to_string(), 5));
        let long = format!("{}@lab.test", "x".repeat(30));
        let (shown, cursor) = input_window(&long, long.len(), 12);
        assert_eq!(shown, "…x@lab.test");
        assert_eq!(cursor, 11);
        assert!(shown.chars().count() <= 12);
        let (shown, cursor) = input_window(&long, 0, 12);
        assert_eq!(shown, "x".repeat(12));
        assert_eq!(cursor, 0);
    }
}
