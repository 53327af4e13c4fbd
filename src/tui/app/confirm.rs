//! The yes/no questions and leaving: "checks are running; quit?" and "FILE exists;
//! overwrite?", and their answers (y/n/Esc/Enter arrive as `Action::Confirm` / `Action::Cancel`
//! through the keymap).

use super::{App, Effect, Mode};

impl App {
    /// The user answered the quit question.
    pub fn confirm_quit(&mut self, yes: bool) -> Vec<Effect> {
        self.mode = Mode::Normal;
        if yes { self.quit_now() } else { Vec::new() }
    }

    /// The write `effect` would replace an existing file: ask first.
    pub fn ask_overwrite(&mut self, effect: Effect) {
        self.mode = Mode::ConfirmOverwrite(Box::new(effect));
    }

    /// The answer to "overwrite?": the write, now allowed to replace the file, or nothing.
    pub fn confirm_overwrite(&mut self, yes: bool) -> Vec<Effect> {
        let Mode::ConfirmOverwrite(effect) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return Vec::new();
        };
        if !yes {
            self.info("not written");
            return Vec::new();
        }
        match *effect {
            Effect::Export { path, .. } => vec![Effect::Export {
                path,
                overwrite: true,
            }],
            Effect::SaveTranscript { job, path, .. } => vec![Effect::SaveTranscript {
                job,
                path,
                overwrite: true,
            }],
            other => vec![other],
        }
    }

    /// Marks the app as ended; the loop stops after this turn.
    pub fn leave(&mut self) {
        self.quit = true;
    }

    /// The answer to the open question, if one is open (`Action::Confirm` and
    /// `Action::Cancel`, which answers no).
    pub(super) fn answer(&mut self, yes: bool) -> Vec<Effect> {
        match self.mode {
            Mode::ConfirmQuit => self.confirm_quit(yes),
            Mode::ConfirmOverwrite(_) => self.confirm_overwrite(yes),
            _ => Vec::new(),
        }
    }

    /// q: quits, but asks first while checks are pending.
    pub(super) fn ask_quit(&mut self) -> Vec<Effect> {
        if self.pending() > 0 && !self.rows.is_empty() {
            self.mode = Mode::ConfirmQuit;
            Vec::new()
        } else {
            self.quit_now()
        }
    }

    /// Quits at once.
    pub(super) fn quit_now(&mut self) -> Vec<Effect> {
        self.leave();
        vec![Effect::Quit]
    }
}
