//! The banner across the top of the screen (information goes with the next key, an error
//! stays until Esc) and the run-wide announcements in it: servers that refused us.

use super::App;
use crate::tui::action::Action;

/// A message across the top of the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// The text.
    pub text: String,
    /// Whether it reports an error.
    pub error: bool,
}

impl App {
    /// Shows an informational banner (until the next key).
    pub fn info(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: false,
        });
    }

    /// Shows an error banner (stays until Esc or the next message).
    pub fn error(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: true,
        });
    }

    /// Takes the engine's list of servers that refused us; a new one is announced in a banner.
    pub fn set_refused_us(&mut self, hosts: Vec<String>) {
        if hosts.len() > self.refused_us.len() && self.notices.port_blocked().is_none() {
            let newest = hosts.last().cloned().unwrap_or_default();
            self.error(format!(
                "{newest} refused us (our IP, its reverse DNS, our HELO name or sender), not a mailbox: \
                 addresses waiting for it are unknown/blocked and it is not asked again; {}",
                self.doctor_hint()
            ));
        }
        self.refused_us = hosts;
    }

    /// A pane key takes an informational banner away, Esc (`Dismiss`) an error one too. The
    /// mouse and the answers to a question leave the banner as it is.
    pub(super) fn expire_banner(&mut self, action: Action) {
        if matches!(
            action,
            Action::Click { .. } | Action::Wheel { .. } | Action::Confirm(_) | Action::Cancel
        ) {
            return;
        }
        self.banner = self
            .banner
            .take()
            .filter(|b| b.error && action != Action::Dismiss);
    }
}
