//! The help screen: shown and hidden over the panes.

use super::{App, Mode};

impl App {
    /// ?: shows the help screen, or hides it when shown.
    pub(super) fn toggle_help(&mut self) {
        self.mode = if self.mode == Mode::Help {
            Mode::Normal
        } else {
            Mode::Help
        };
    }

    /// Hides the help screen (Esc, q, ? or Enter on it).
    pub fn close_help(&mut self) {
        if self.mode == Mode::Help {
            self.mode = Mode::Normal;
        }
    }
}
