//! The one-line input (add an address, open a file, search, export, save a transcript) with
//! cursor editing. Pure: keys (or pasted text) in, text out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the input is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    /// Add one address.
    Add,
    /// Open a list file.
    Open,
    /// Incremental search.
    Search,
    /// Export path.
    Export,
    /// Transcript path.
    SaveTranscript,
}

impl PromptKind {
    /// The label before the input.
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Add => "add address: ",
            PromptKind::Open => "open file: ",
            PromptKind::Search => "/",
            PromptKind::Export => "export to (.csv or .jsonl): ",
            PromptKind::SaveTranscript => "save transcript to: ",
        }
    }
}

/// The input line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// What it is for.
    pub kind: PromptKind,
    text: Vec<char>,
    cursor: usize,
    /// The text is a suggested default nobody has touched: the first character typed or
    /// pasted replaces it, while a cursor or editing key keeps it for editing.
    default: bool,
}

/// What a key did to the prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptOutcome {
    /// The text or cursor changed.
    Edited,
    /// Enter.
    Submit,
    /// Esc or Ctrl-C.
    Cancel,
    /// Nothing.
    Ignored,
}

impl Prompt {
    /// An empty prompt.
    pub fn new(kind: PromptKind) -> Prompt {
        Prompt {
            kind,
            text: Vec::new(),
            cursor: 0,
            default: false,
        }
    }

    /// A prompt with text filled in, cursor at the end.
    pub fn with_text(kind: PromptKind, text: &str) -> Prompt {
        let text: Vec<char> = text.chars().collect();
        let cursor = text.len();
        Prompt {
            kind,
            text,
            cursor,
            default: false,
        }
    }

    /// A prompt with a suggested default (a file name): Enter takes it, the first character
    /// typed replaces it, and a cursor or editing key (Left, Backspace ...) starts editing it.
    pub fn with_default(kind: PromptKind, text: &str) -> Prompt {
        Prompt {
            default: true,
            ..Prompt::with_text(kind, text)
        }
    }

    /// Whether the text is still the untouched default.
    pub fn shows_default(&self) -> bool {
        self.default
    }

    /// Drops an untouched default before new text goes in.
    fn replace_default(&mut self) {
        if std::mem::take(&mut self.default) {
            self.text.clear();
            self.cursor = 0;
        }
    }

    /// The text typed.
    pub fn text(&self) -> String {
        self.text.iter().collect()
    }

    /// The cursor position in characters.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Inserts text at the cursor, leaving out control characters (a line break among them).
    /// Returns whether anything was inserted.
    pub fn insert(&mut self, text: &str) -> bool {
        if text.chars().any(|c| !c.is_control()) {
            self.replace_default();
        }
        let before = self.text.len();
        for c in text.chars().filter(|c| !c.is_control()) {
            self.text.insert(self.cursor, c);
            self.cursor += 1;
        }
        self.text.len() > before
    }

    /// The text as it would read with `pasted` inserted at the cursor, line breaks and all.
    pub fn text_with(&self, pasted: &str) -> String {
        let (before, after) = self.text.split_at(self.cursor);
        before
            .iter()
            .copied()
            .chain(pasted.chars())
            .chain(after.iter().copied())
            .collect()
    }

    /// Applies one key.
    pub fn key(&mut self, key: &KeyEvent) -> PromptOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let typed = matches!(key.code, KeyCode::Char(c) if !ctrl && !c.is_control());
        match key.code {
            _ if typed => self.replace_default(),
            KeyCode::Enter | KeyCode::Esc => {}
            _ => self.default = false,
        }
        match key.code {
            KeyCode::Enter => return PromptOutcome::Submit,
            KeyCode::Esc => return PromptOutcome::Cancel,
            KeyCode::Char('c') if ctrl => return PromptOutcome::Cancel,
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.text.len(),
            KeyCode::Char('u') if ctrl => {
                self.text.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('w') if ctrl => {
                let mut start = self.cursor;
                while start > 0 && self.text[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && self.text[start - 1] != ' ' {
                    start -= 1;
                }
                self.text.drain(start..self.cursor);
                self.cursor = start;
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                self.text.insert(self.cursor, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.text.remove(self.cursor);
            }
            KeyCode::Delete if self.cursor < self.text.len() => {
                self.text.remove(self.cursor);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.len(),
            _ => return PromptOutcome::Ignored,
        }
        PromptOutcome::Edited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(prompt: &mut Prompt, code: KeyCode) -> PromptOutcome {
        prompt.key(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn typing_and_editing() {
        let mut p = Prompt::new(PromptKind::Add);
        for c in "alce@x.test".chars() {
            press(&mut p, KeyCode::Char(c));
        }
        for _ in 0..9 {
            press(&mut p, KeyCode::Left);
        }
        press(&mut p, KeyCode::Char('i'));
        assert_eq!(p.text(), "alice@x.test");
        press(&mut p, KeyCode::End);
        press(&mut p, KeyCode::Backspace);
        assert_eq!(p.text(), "alice@x.tes");
        press(&mut p, KeyCode::Home);
        press(&mut p, KeyCode::Delete);
        assert_eq!(p.text(), "lice@x.tes");
        assert_eq!(press(&mut p, KeyCode::Enter), PromptOutcome::Submit);
        assert_eq!(press(&mut p, KeyCode::Esc), PromptOutcome::Cancel);
    }

    #[test]
    fn a_default_is_replaced_by_typing_and_kept_by_editing_keys() {
        let mut p = Prompt::with_default(PromptKind::Export, "mxknock-results.csv");
        assert!(p.shows_default());
        for c in "/tmp/out.csv".chars() {
            press(&mut p, KeyCode::Char(c));
        }
        assert_eq!(p.text(), "/tmp/out.csv");
        let mut p = Prompt::with_default(PromptKind::Export, "mxknock-results.csv");
        press(&mut p, KeyCode::Backspace);
        press(&mut p, KeyCode::Char('x'));
        assert_eq!(p.text(), "mxknock-results.csx");
        let mut p = Prompt::with_default(PromptKind::Export, "mxknock-results.csv");
        press(&mut p, KeyCode::Home);
        press(&mut p, KeyCode::Char('~'));
        assert_eq!(p.text(), "~mxknock-results.csv");
        let mut p = Prompt::with_default(PromptKind::Export, "mxknock-results.csv");
        assert!(p.insert("out.jsonl"));
        assert_eq!(p.text(), "out.jsonl", "a paste replaces the default too");
        let mut p = Prompt::with_default(PromptKind::Export, "mxknock-results.csv");
        assert_eq!(press(&mut p, KeyCode::Enter), PromptOutcome::Submit);
        assert_eq!(p.text(), "mxknock-results.csv");
    }

    #[test]
    fn control_characters_are_not_typed() {
        let mut p = Prompt::new(PromptKind::Add);
        assert_eq!(
            press(&mut p, KeyCode::Char('\u{1b}')),
            PromptOutcome::Ignored
        );
        assert_eq!(p.text(), "");
    }

    #[test]
    fn pasted_text_goes_in_at_the_cursor_without_control_characters() {
        let mut p = Prompt::with_text(PromptKind::Open, "dir/.csv");
        for _ in 0..4 {
            press(&mut p, KeyCode::Left);
        }
        assert_eq!(p.text_with("a\nb"), "dir/a\nb.csv");
        assert!(p.insert("li\tst\u{1b}"));
        assert_eq!(p.text(), "dir/list.csv");
        assert_eq!(p.cursor(), 8);
        assert!(!p.insert("\r\n"));
    }

    #[test]
    fn ctrl_w_deletes_a_word() {
        let mut p = Prompt::with_text(PromptKind::Open, "dir/a b");
        p.key(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(p.text(), "dir/a ");
    }
}
