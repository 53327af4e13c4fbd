//! Pasted text (bracketed paste), never read as keys: addresses into the add prompt, one line
//! into another prompt, a hint anywhere else.

use super::{App, Effect, Mode};
use crate::tui::action::Action;
use crate::tui::prompt::PromptKind;

impl App {
    /// Pasted text (bracketed paste), never read as keys. Into the add prompt it adds every
    /// address it holds (with what was typed there) and closes the prompt; into another prompt
    /// it types its first line that has text; anywhere else it is ignored, with a hint.
    pub fn paste(&mut self, text: &str) -> Vec<Effect> {
        let Mode::Prompt(prompt) = &mut self.mode else {
            let hint = match self.keymap.keys_for(Action::Add).first() {
                Some(key) => format!("paste ignored: press {key} to add addresses"),
                None => "paste ignored".to_string(),
            };
            self.info(hint);
            return Vec::new();
        };
        if prompt.kind == PromptKind::Add {
            return self.paste_addresses(text);
        }
        if prompt.insert(first_line(text)) {
            self.prompt_changed();
        }
        Vec::new()
    }

    /// A paste into the add prompt: every address in the prompt's text with the paste in it.
    fn paste_addresses(&mut self, text: &str) -> Vec<Effect> {
        let Mode::Prompt(prompt) = &self.mode else {
            return Vec::new();
        };
        let addresses = split_addresses(&prompt.text_with(text));
        if addresses.is_empty() {
            self.info("the paste holds no address");
            return Vec::new();
        }
        self.mode = Mode::Normal;
        let added = crate::tui::count(addresses.len(), "address");
        let (effects, shown_all) = self.add_and_show(addresses);
        self.info(if shown_all {
            format!("added {added}; showing all addresses, so they are in view")
        } else {
            format!("added {added}")
        });
        effects
    }
}

/// The addresses in pasted text: one per line, or separated by commas or semicolons (a tab or
/// any other control character separates too); trimmed, empty pieces left out.
fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_control() || c == ',' || c == ';')
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(String::from)
        .collect()
}

/// The first line of pasted text that has any (trimmed); terminals send line breaks as CR or LF.
fn first_line(text: &str) -> &str {
    text.split(['\r', '\n'])
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
}
