//! Keys to actions, as data. The help screen and the footer hints are generated from the same
//! table, and `[keys]` in the config file can rebind any key (`"x" = "quit"`, `"j" = "none"`).
//! The answers to a yes/no question (quit while checking, overwrite a file) are tables here
//! too, fixed: they are the same keys everywhere.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// A key with its modifiers, as written in the config ("j", "C-c", "PageDown", "?").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl and Alt (Shift is part of the character for printable keys).
    pub mods: KeyModifiers,
}

impl Key {
    /// Parses a key spec.
    pub fn parse(spec: &str) -> Result<Key, String> {
        let (mods, rest) = if let Some(rest) = spec
            .strip_prefix("C-")
            .or_else(|| spec.strip_prefix("ctrl-"))
        {
            (KeyModifiers::CONTROL, rest)
        } else if let Some(rest) = spec
            .strip_prefix("M-")
            .or_else(|| spec.strip_prefix("alt-"))
        {
            (KeyModifiers::ALT, rest)
        } else {
            (KeyModifiers::NONE, spec)
        };
        let code = match rest {
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "Left" => KeyCode::Left,
            "Right" => KeyCode::Right,
            "PageUp" => KeyCode::PageUp,
            "PageDown" => KeyCode::PageDown,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            "Tab" => KeyCode::Tab,
            "BackTab" => KeyCode::BackTab,
            "Enter" => KeyCode::Enter,
            "Esc" => KeyCode::Esc,
            "Space" => KeyCode::Char(' '),
            f if f.len() > 1 && f.starts_with('F') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap_or(' ')),
            _ => {
                return Err(format!(
                    "unknown key {spec:?} (try \"j\", \"C-c\", \"PageDown\", \"F1\")"
                ));
            }
        };
        Ok(Key { code, mods })
    }

    /// The key of a terminal event, normalised (Shift dropped for characters).
    pub fn from_event(event: &KeyEvent) -> Key {
        let mut mods = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match event.code {
            KeyCode::Char(c) if event.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        if matches!(code, KeyCode::BackTab) {
            mods = KeyModifiers::NONE;
        }
        Key { code, mods }
    }

    /// How the key is shown in help and hints.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "S-Tab".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            _ => "?".to_string(),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("M-{base}")
        } else {
            base
        }
    }
}

/// The default bindings of the list/detail/transcript panes, in help order.
const DEFAULTS: &[(&str, Action)] = &[
    ("k", Action::Up),
    ("Up", Action::Up),
    ("j", Action::Down),
    ("Down", Action::Down),
    ("C-u", Action::PageUp),
    ("PageUp", Action::PageUp),
    ("C-d", Action::PageDown),
    ("PageDown", Action::PageDown),
    ("g", Action::Top),
    ("Home", Action::Top),
    ("G", Action::Bottom),
    ("End", Action::Bottom),
    ("Tab", Action::FocusNext),
    ("BackTab", Action::FocusPrev),
    ("a", Action::Add),
    ("o", Action::Open),
    ("/", Action::Search),
    ("n", Action::SearchNext),
    ("N", Action::SearchPrev),
    ("0", Action::FilterAll),
    ("1", Action::FilterDeliverable),
    ("2", Action::FilterRisky),
    ("3", Action::FilterUnknown),
    ("4", Action::FilterUndeliverable),
    ("f", Action::CycleFilter),
    ("s", Action::CycleSort),
    ("P", Action::CycleProviderFilter),
    ("r", Action::Recheck),
    ("R", Action::RecheckUnknown),
    ("p", Action::TogglePause),
    ("e", Action::Export),
    ("t", Action::SaveTranscript),
    ("H", Action::StoredTranscripts),
    ("[", Action::OlderStoredTranscript),
    ("]", Action::NewerStoredTranscript),
    ("D", Action::Doctor),
    ("?", Action::Help),
    ("q", Action::Quit),
    ("C-c", Action::ForceQuit),
    ("Esc", Action::Dismiss),
];

/// Which yes/no question is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Question {
    /// "Checks are running; quit?"
    Quit,
    /// "FILE exists; overwrite?"
    Overwrite,
}

/// The answers to "checks are running; quit?": y, Enter and C-c quit; n and Esc stay.
const CONFIRM_QUIT: &[(&str, Action)] = &[
    ("y", Action::Confirm(true)),
    ("Y", Action::Confirm(true)),
    ("Enter", Action::Confirm(true)),
    ("C-c", Action::Confirm(true)),
    ("n", Action::Confirm(false)),
    ("N", Action::Confirm(false)),
    ("Esc", Action::Cancel),
];

/// The answers to "FILE exists; overwrite?": only y replaces it; n, Enter and Esc keep it.
const CONFIRM_OVERWRITE: &[(&str, Action)] = &[
    ("y", Action::Confirm(true)),
    ("Y", Action::Confirm(true)),
    ("n", Action::Confirm(false)),
    ("N", Action::Confirm(false)),
    ("Enter", Action::Confirm(false)),
    ("Esc", Action::Cancel),
];

/// Whether `action` answers a question or comes from the mouse (never bound in `[keys]`).
fn action_of_a_question_or_the_mouse(action: Action) -> bool {
    matches!(
        action,
        Action::Confirm(_) | Action::Cancel | Action::Click { .. } | Action::Wheel { .. }
    )
}

/// Parses a table of default key specs.
fn parse_table(table: &[(&str, Action)]) -> Vec<(Key, Action)> {
    table
        .iter()
        .map(|(spec, action)| (Key::parse(spec).expect("default key specs parse"), *action))
        .collect()
}

/// Actions shown in the footer, most important first (a narrow footer drops the last ones).
const FOOTER: &[Action] = &[
    Action::Help,
    Action::Quit,
    Action::Add,
    Action::Open,
    Action::Search,
    Action::CycleFilter,
    Action::CycleSort,
    Action::Recheck,
    Action::TogglePause,
    Action::Export,
];

/// The key bindings in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
    confirm_quit: Vec<(Key, Action)>,
    confirm_overwrite: Vec<(Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: parse_table(DEFAULTS),
            confirm_quit: parse_table(CONFIRM_QUIT),
            confirm_overwrite: parse_table(CONFIRM_OVERWRITE),
        }
    }
}

impl Keymap {
    /// The defaults with `[keys]` from the config applied: `"key" = "action"` (or `"none"` to unbind).
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, String> {
        let mut keymap = Keymap::default();
        for (spec, name) in overrides {
            let key = Key::parse(spec).map_err(|e| format!("[keys] {e}"))?;
            keymap.bindings.retain(|(k, _)| *k != key);
            if name == "none" {
                continue;
            }
            // The answers to a question and the mouse are no pane keys to bind.
            let action = serde_json::from_value(serde_json::Value::String(name.clone()))
                .ok()
                .filter(|action| !action_of_a_question_or_the_mouse(*action))
                .ok_or_else(|| format!("[keys] {spec:?} = {name:?}: unknown action"))?;
            keymap.bindings.push((key, action));
        }
        Ok(keymap)
    }

    /// The action bound to a key event, if any.
    pub fn action(&self, event: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(event);
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// The answer a key event gives to the open `question`, if it is one. The key counts
    /// whatever else is held with it (Alt-y is y), except that C-c needs Ctrl.
    pub fn answer(&self, question: Question, event: &KeyEvent) -> Option<Action> {
        let table = match question {
            Question::Quit => &self.confirm_quit,
            Question::Overwrite => &self.confirm_overwrite,
        };
        table
            .iter()
            .find(|(k, _)| k.code == event.code && event.modifiers.contains(k.mods))
            .map(|(_, a)| *a)
    }

    /// Every key bound to `action`, as labels.
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k.label())
            .collect()
    }

    /// (keys, description) for every bound action, in table order, for the help screen.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (_, action) in &self.bindings {
            if seen.contains(action) {
                continue;
            }
            seen.push(*action);
            out.push((self.keys_for(*action).join(" "), action.describe()));
        }
        out
    }

    /// (first key, short description) for the footer.
    pub fn footer(&self) -> Vec<(String, &'static str)> {
        FOOTER
            .iter()
            .filter_map(|a| {
                self.keys_for(*a)
                    .into_iter()
                    .next()
                    .map(|k| (k, a.describe()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn default_keys_map_to_actions() {
        let map = Keymap::default();
        let table = [
            (key(KeyCode::Char('j'), KeyModifiers::NONE), Action::Down),
            (key(KeyCode::Down, KeyModifiers::NONE), Action::Down),
            (key(KeyCode::Char('G'), KeyModifiers::SHIFT), Action::Bottom),
            (
                key(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Action::ForceQuit,
            ),
            (
                key(
                    KeyCode::Char('C'),
                    KeyModifiers::CONTROL | KeyModifiers::SHIFT,
                ),
                Action::ForceQuit,
            ),
            (
                key(KeyCode::Char('3'), KeyModifiers::NONE),
                Action::FilterUnknown,
            ),
            (
                key(KeyCode::Char('R'), KeyModifiers::SHIFT),
                Action::RecheckUnknown,
            ),
            (
                key(KeyCode::BackTab, KeyModifiers::SHIFT),
                Action::FocusPrev,
            ),
            (key(KeyCode::Char('?'), KeyModifiers::SHIFT), Action::Help),
            (key(KeyCode::Char('D'), KeyModifiers::SHIFT), Action::Doctor),
        ];
        for (event, action) in table {
            assert_eq!(map.action(&event), Some(action), "{event:?}");
        }
        assert_eq!(
            map.action(&key(KeyCode::Char('z'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn overrides_rebind_and_unbind() {
        let mut overrides = BTreeMap::new();
        overrides.insert("x".to_string(), "quit".to_string());
        overrides.insert("q".to_string(), "none".to_string());
        let map = Keymap::with_overrides(&overrides).unwrap();
        assert_eq!(
            map.action(&key(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            map.action(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(map.keys_for(Action::Quit), ["x"]);
    }

    #[test]
    fn bad_overrides_name_the_problem() {
        let mut overrides = BTreeMap::new();
        overrides.insert("x".to_string(), "explode".to_string());
        assert!(
            Keymap::with_overrides(&overrides)
                .unwrap_err()
                .contains("explode")
        );
        let mut overrides = BTreeMap::new();
        overrides.insert("x".to_string(), "cancel".to_string());
        assert!(
            Keymap::with_overrides(&overrides)
                .unwrap_err()
                .contains("unknown action"),
            "the answers to a question are not pane keys"
        );
        let mut overrides = BTreeMap::new();
        overrides.insert("Hyper-x".to_string(), "quit".to_string());
        assert!(
            Keymap::with_overrides(&overrides)
                .unwrap_err()
                .contains("Hyper-x")
        );
    }

    #[test]
    fn the_questions_are_answered_by_the_same_keys_as_before() {
        let map = Keymap::default();
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        let shift = KeyModifiers::SHIFT;
        let (yes, no) = (Some(Action::Confirm(true)), Some(Action::Confirm(false)));
        let cancel = Some(Action::Cancel);
        let quit = [
            (key(KeyCode::Char('y'), none), yes),
            (key(KeyCode::Char('Y'), shift), yes),
            (key(KeyCode::Enter, none), yes),
            (key(KeyCode::Char('c'), ctrl), yes),
            (key(KeyCode::Char('n'), none), no),
            (key(KeyCode::Char('N'), shift), no),
            (key(KeyCode::Esc, none), cancel),
            (key(KeyCode::Char('c'), none), None),
            (key(KeyCode::Char('C'), ctrl | shift), None),
            (key(KeyCode::Char('q'), none), None),
            (key(KeyCode::Char('y'), ctrl), yes),
        ];
        for (event, answer) in quit {
            assert_eq!(
                map.answer(Question::Quit, &event),
                answer,
                "quit? {event:?}"
            );
        }
        let overwrite = [
            (key(KeyCode::Char('y'), none), yes),
            (key(KeyCode::Char('Y'), shift), yes),
            (key(KeyCode::Char('n'), none), no),
            (key(KeyCode::Char('N'), shift), no),
            (key(KeyCode::Enter, none), no),
            (key(KeyCode::Esc, none), cancel),
            (key(KeyCode::Char('c'), ctrl), None),
            (key(KeyCode::Char('q'), none), None),
            (key(KeyCode::Char('n'), KeyModifiers::ALT), no),
        ];
        for (event, answer) in overwrite {
            assert_eq!(
                map.answer(Question::Overwrite, &event),
                answer,
                "overwrite? {event:?}"
            );
        }
    }

    #[test]
    fn rebinding_a_pane_key_leaves_the_answers_alone() {
        let mut overrides = BTreeMap::new();
        overrides.insert("y".to_string(), "quit".to_string());
        overrides.insert("n".to_string(), "none".to_string());
        let map = Keymap::with_overrides(&overrides).unwrap();
        let y = key(KeyCode::Char('y'), KeyModifiers::NONE);
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(map.action(&y), Some(Action::Quit));
        assert_eq!(map.answer(Question::Quit, &y), Some(Action::Confirm(true)));
        assert_eq!(
            map.answer(Question::Overwrite, &n),
            Some(Action::Confirm(false))
        );
    }

    #[test]
    fn help_and_footer_come_from_the_table() {
        let map = Keymap::default();
        let help = map.help();
        assert!(help.contains(&("k ↑".to_string(), "up")));
        assert!(
            help.iter()
                .any(|(keys, what)| keys == "q" && *what == "quit")
        );
        let footer = map.footer();
        assert_eq!(footer[0], ("?".to_string(), "help"));
        assert_eq!(footer[1], ("q".to_string(), "quit"));
    }
}
