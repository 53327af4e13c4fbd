//! Named styles. `Theme::mono()` is used for NO_COLOR / `--color never`: it keeps bold and
//! reverse video so the selection and focus stay visible without colour.

use ratatui::style::{Color, Modifier, Style};

use crate::engine::judge::verdict::Verdict;
use crate::engine::transcript::Direction;

/// Every style the views use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    /// Plain text.
    pub text: Style,
    /// Less important text (timestamps, hints).
    pub dim: Style,
    /// Titles and labels.
    pub label: Style,
    /// The selected row.
    pub selected: Style,
    /// Border of the focused pane.
    pub focus_border: Style,
    /// Border of other panes.
    pub border: Style,
    /// Error banner.
    pub error: Style,
    /// Info banner.
    pub info: Style,
    /// Search matches and marks.
    pub accent: Style,
    verdicts: [Style; 4],
    directions: [Style; 4],
}

impl Theme {
    /// The colour theme.
    pub fn color() -> Theme {
        Theme {
            text: Style::new(),
            dim: Style::new().fg(Color::DarkGray),
            label: Style::new().add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            focus_border: Style::new().fg(Color::Cyan),
            border: Style::new().fg(Color::DarkGray),
            error: Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            info: Style::new().fg(Color::Black).bg(Color::Cyan),
            accent: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            verdicts: [
                Style::new().fg(Color::Green),
                Style::new().fg(Color::Yellow),
                Style::new().fg(Color::Magenta),
                Style::new().fg(Color::Red),
            ],
            directions: [
                Style::new().fg(Color::Cyan),
                Style::new().fg(Color::Green),
                Style::new().fg(Color::Red),
                Style::new().fg(Color::DarkGray),
            ],
        }
    }

    /// The monochrome theme.
    pub fn mono() -> Theme {
        let plain = Style::new();
        Theme {
            text: plain,
            dim: plain,
            label: plain.add_modifier(Modifier::BOLD),
            selected: plain.add_modifier(Modifier::REVERSED),
            focus_border: plain.add_modifier(Modifier::BOLD),
            border: plain,
            error: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            info: plain.add_modifier(Modifier::REVERSED),
            accent: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            verdicts: [plain; 4],
            directions: [plain, plain, plain.add_modifier(Modifier::BOLD), plain],
        }
    }

    /// The style of a verdict.
    pub fn verdict(&self, verdict: Verdict) -> Style {
        self.verdicts[verdict as usize]
    }

    /// The style of a transcript line.
    pub fn direction(&self, direction: Direction) -> Style {
        let i = match direction {
            Direction::Sent => 0,
            Direction::Received => 1,
            Direction::Unexpected => 2,
            Direction::Info => 3,
        };
        self.directions[i]
    }
}

/// The status glyph of a verdict (and of a check in progress).
pub fn glyph(verdict: Option<Verdict>) -> &'static str {
    match verdict {
        Some(Verdict::Deliverable) => "✔",
        Some(Verdict::Risky) => "!",
        Some(Verdict::Unknown) => "?",
        Some(Verdict::Undeliverable) => "✘",
        None => "…",
    }
}
