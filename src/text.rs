//! Which characters may never be shown or sent as they are: the invisible Unicode format
//! characters (general category Cf) and the line and paragraph separators. They can hide,
//! reorder or disguise text on a terminal and in a spreadsheet, so addresses holding them are
//! refused and server text shows them as escapes ([`terminal_safe`], the one sanitiser for
//! terminals, used by the engine for server text and by the TUI and the headless commands).

use std::fmt::Write as _;

/// Every Cf range of Unicode 15, plus U+2028/U+2029 (line and paragraph separators).
const FORMAT_CONTROLS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{06DD}', '\u{06DD}'),   // Arabic end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound and piastre marks above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero-width space and joiners, LRM, RLM
    ('\u{2028}', '\u{202E}'),   // separators, bidi embeddings and overrides
    ('\u{2060}', '\u{206F}'),   // word joiner, invisible operators, isolates, deprecated
    ('\u{FEFF}', '\u{FEFF}'),   // zero-width no-break space (BOM)
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol format controls
    ('\u{E0001}', '\u{E0001}'), // language tag
    ('\u{E0020}', '\u{E007F}'), // tag characters
];

/// Whether `c` is an invisible format character or a line/paragraph separator.
pub fn is_format_control(c: char) -> bool {
    FORMAT_CONTROLS
        .iter()
        .any(|&(low, high)| (low..=high).contains(&c))
}

/// `text` with every control character (C0 incl. TAB/CR/LF/ESC, DEL, C1 U+0080..U+009F) and
/// every invisible format character or separator ([`is_format_control`]) shown as a visible
/// escape: `\x1b`, `\x7f`, `\u{85}`, `\u{202e}`. A literal backslash stays as is. The result can
/// be written to a terminal safely, and making it safe again changes nothing.
pub fn terminal_safe(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    out
}

/// Appends [`terminal_safe`]`(text)` to `out`, without a string of its own between.
pub fn push_terminal_safe(out: &mut String, text: &str) {
    for c in text.chars() {
        push_visible(out, c);
    }
}

/// True for characters that [`terminal_safe`] escapes.
fn needs_escape(c: char) -> bool {
    c.is_control() || is_format_control(c)
}

/// Appends `c`, or its escape when it is a control character.
fn push_visible(out: &mut String, c: char) {
    if !needs_escape(c) {
        out.push(c);
    } else if c.is_ascii() {
        let _ = write!(out, "\\x{:02x}", u32::from(c));
    } else {
        let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_format_controls_and_letters_are_not() {
        for c in [
            '\u{AD}',
            '\u{200B}',
            '\u{202E}',
            '\u{2060}',
            '\u{2065}',
            '\u{FEFF}',
            '\u{E0041}',
        ] {
            assert!(is_format_control(c), "{:x}", u32::from(c));
        }
        for c in ['a', 'é', 'ß', '日', '\u{1F600}', ' '] {
            assert!(!is_format_control(c), "{c}");
        }
    }

    #[test]
    fn terminal_safe_escapes_controls_and_invisible_characters_once() {
        assert_eq!(terminal_safe("250 Ok"), "250 Ok");
        assert_eq!(terminal_safe("a\u{1b}[2Jb\u{7f}\tc"), r"a\x1b[2Jb\x7f\x09c");
        assert_eq!(
            terminal_safe("x\u{85}\u{202e}y\u{feff}"),
            r"x\u{85}\u{202e}y\u{feff}"
        );
        assert_eq!(terminal_safe(r"back\slash é"), r"back\slash é");
        let once = terminal_safe("\u{9b}2J\r\n");
        assert_eq!(terminal_safe(&once), once);
    }
}
