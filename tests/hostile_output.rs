//! Text from the user or a server never reaches the terminal raw: `check`'s text output and
//! `batch`'s messages escape control characters (`\x1b`-style), and JSON escapes the C1
//! controls and the line/paragraph separators that serde_json leaves alone.

mod common;

use common::mxknock;
use serde_json::Value;

/// An address that clears the screen and sets the terminal title, in 7-bit and 8-bit forms.
const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31mevil@lab.test";

/// No byte of `text` starts an escape sequence or rings the bell.
fn assert_terminal_safe(text: &str) {
    for c in text.chars() {
        let escape = c.is_control() && c != '\n';
        assert!(!escape, "raw {c:?} in {text:?}");
    }
}

#[test]
fn check_text_output_escapes_an_address_from_the_command_line() {
    let (code, stdout, stderr) = mxknock(&["check", "--demo", "--helo", "verifier.lab.test", EVIL]);
    assert_eq!(code, 5, "{stderr}");
    assert_terminal_safe(&stdout);
    assert!(
        stdout.starts_with(r"\x1b]0;pwned\x07\x1b[2J\u{9b}31mevil@lab.test  undeliverable"),
        "{stdout}"
    );
}

#[test]
fn check_text_output_with_colour_and_a_transcript_escapes_server_text() {
    let (_, stdout, stderr) = mxknock(&[
        "check",
        "--demo",
        "--helo",
        "verifier.lab.test",
        "--color",
        "always",
        "--transcript",
        "alice@hostile.test",
        EVIL,
    ]);
    assert!(stdout.contains(r"\x1b]0;pwned"), "{stdout}");
    // Colour is the only escape: every ESC starts an SGR sequence (ESC [ digits m).
    for (i, _) in stdout.match_indices('\u{1b}') {
        let rest = &stdout[i + 1..];
        let sgr = rest.starts_with('[')
            && rest[1..]
                .chars()
                .take_while(|c| *c != 'm')
                .all(|c| c.is_ascii_digit() || c == ';');
        assert!(sgr, "a non-colour escape at {i}: {:?}", &stdout[i..]);
    }
    assert!(
        !stdout.contains('\u{7}') && !stdout.contains('\u{9b}'),
        "{stderr}"
    );
}

#[test]
fn json_escapes_c1_controls_and_line_separators_and_stays_lossless() {
    let address = "a\u{85}b\u{2028}c\u{2029}d\u{9b}e\u{202e}@lab.test";
    let (_, stdout, stderr) = mxknock(&[
        "check",
        "--demo",
        "--json",
        "--helo",
        "verifier.lab.test",
        address,
    ]);
    let line = stdout.lines().next().unwrap_or_else(|| panic!("{stderr}"));
    for escaped in [r"\u0085", r"\u2028", r"\u2029", r"\u009b", r"\u202e"] {
        assert!(line.contains(escaped), "{escaped} not in {line}");
    }
    for raw in ['\u{85}', '\u{2028}', '\u{2029}', '\u{9b}', '\u{202e}'] {
        assert!(!line.contains(raw), "raw {raw:?} in {line}");
    }
    let report: Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        report["address"], address,
        "the escapes decode to the input"
    );
}

#[test]
fn batch_messages_escape_the_list_name() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("\u{1b}[31mlist.txt");
    std::fs::write(&list, "alice@lab.test\n\u{7}bell@lab.test\n").unwrap();
    let (_, stdout, stderr) = mxknock(&[
        "batch",
        "--demo",
        "--helo",
        "verifier.lab.test",
        list.to_str().unwrap(),
    ]);
    assert_terminal_safe(&stderr);
    assert!(
        stderr.contains(r"\x1b[31mlist.txt:2: control character"),
        "{stderr}"
    );
    assert_terminal_safe(&stdout.replace('\r', ""));
}
