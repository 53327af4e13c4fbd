//! The input line: opening a prompt (add, open, search, export, save transcript), its keys,
//! and what a submitted prompt does.

use std::path::PathBuf;

use crossterm::event::KeyEvent;

use super::{App, Effect, Mode};
use crate::tui::prompt::{Prompt, PromptKind, PromptOutcome};
use crate::tui::rows::Filter;

impl App {
    /// A key while a prompt is open: it edits, submits or cancels the prompt.
    pub fn prompt_key(&mut self, key: &KeyEvent) -> Vec<Effect> {
        let Mode::Prompt(prompt) = &mut self.mode else {
            return Vec::new();
        };
        match prompt.key(key) {
            PromptOutcome::Edited => {
                self.prompt_changed();
                Vec::new()
            }
            PromptOutcome::Submit => self.prompt_submitted(),
            PromptOutcome::Cancel => {
                self.mode = Mode::Normal;
                Vec::new()
            }
            PromptOutcome::Ignored => Vec::new(),
        }
    }

    /// The user typed into, submitted or cancelled the prompt.
    pub fn prompt_changed(&mut self) {
        if let Mode::Prompt(prompt) = &self.mode
            && prompt.kind == PromptKind::Search
        {
            let text = prompt.text();
            self.find(&text, 0, false);
        }
    }

    /// The prompt was submitted.
    pub fn prompt_submitted(&mut self) -> Vec<Effect> {
        let Mode::Prompt(prompt) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return Vec::new();
        };
        let text = prompt.text().trim().to_string();
        if text.is_empty() {
            return Vec::new();
        }
        match prompt.kind {
            PromptKind::Add => {
                let (effects, shown_all) = self.add_and_show(vec![text]);
                if shown_all {
                    self.info("showing all addresses, so the new one is in view");
                }
                effects
            }
            PromptKind::Open => vec![Effect::Load(PathBuf::from(text))],
            PromptKind::Search => {
                if self.search_failed && !text.is_empty() {
                    self.error(format!("no address contains {text:?}"));
                }
                self.search = Some(text);
                Vec::new()
            }
            PromptKind::Export => vec![Effect::Export {
                path: PathBuf::from(text),
                overwrite: false,
            }],
            PromptKind::SaveTranscript => match self.selected_job() {
                Some(job) => vec![Effect::SaveTranscript {
                    job,
                    path: PathBuf::from(text),
                    overwrite: false,
                }],
                None => Vec::new(),
            },
        }
    }

    /// Opens an empty prompt of `kind`.
    pub(super) fn open_prompt(&mut self, kind: PromptKind) {
        self.mode = Mode::Prompt(Prompt::new(kind));
    }

    /// Opens the export prompt with the default file name.
    pub(super) fn open_export_prompt(&mut self) {
        self.mode = Mode::Prompt(Prompt::with_default(
            PromptKind::Export,
            "mxknock-results.csv",
        ));
    }

    /// Opens the save-transcript prompt named after the selected address, or says there is
    /// no transcript to save.
    pub(super) fn open_save_transcript_prompt(&mut self) {
        if self.selected_detail().is_some() {
            let name = self
                .selected_row()
                .map(|r| {
                    format!(
                        "{}.transcript.txt",
                        self.rows[r].address.replace(['/', '\\'], "_")
                    )
                })
                .unwrap_or_default();
            self.mode = Mode::Prompt(Prompt::with_default(PromptKind::SaveTranscript, &name));
        } else {
            self.error("no transcript for the selected address");
        }
    }

    /// Adds typed or pasted addresses, shows every row if the filter would hide them, and
    /// selects the first new one. Returns the checks to start and whether the filter was reset.
    pub(super) fn add_and_show(&mut self, addresses: Vec<String>) -> (Vec<Effect>, bool) {
        let first = self.rows.len();
        let effects = self.add_addresses(addresses.into_iter().map(|a| (a, 1)));
        let reset = !matches!(self.filter, Filter::All | Filter::Pending);
        if reset {
            self.filter = Filter::All;
        }
        self.refresh_view();
        let position = (0..self.view_len())
            .find(|&p| self.row_at(p) == Some(first))
            .unwrap_or(0);
        self.select(position);
        (effects, reset)
    }
}
