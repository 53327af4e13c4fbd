//! A paste through a real terminal: the built binary runs `--demo LIST` in tmux (a server of
//! its own, on a socket in a temporary folder, with no user config), `a` opens the add prompt,
//! and a three-line bracketed paste (`tmux paste-buffer -p`) must add three rows and leave the
//! app running, not be read as keys (a pasted `q` would quit or ask, an `e` open export).
//! Skipped, with a note, where tmux is not installed. Every wait is a generous deadline.

mod common;

use common::tmux::{Tmux, demo_command};

#[test]
fn a_three_line_paste_into_the_add_prompt_adds_three_rows_and_does_not_quit() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "alice@lab.test\n").unwrap();
    let command = demo_command(dir.path(), "", &format!("'{}'", list.display()));
    let Some(tmux) = Tmux::start(&command, dir.path()) else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    tmux.wait_for("1 of 1 addresses");
    tmux.run(&["send-keys", "-t", "tui", "a"]);
    tmux.wait_for("add address:");
    // Lines that, typed as keys, would quit (q, then Enter answers yes) and open export (e).
    tmux.run(&[
        "set-buffer",
        "-b",
        "addresses",
        "dave@lab.test\nquentin@lab.test\nerin@lab.test",
    ]);
    tmux.run(&["paste-buffer", "-p", "-b", "addresses", "-t", "tui"]);
    let screen = tmux.wait_for("4 of 4 addresses");
    assert!(screen.contains("added 3 addresses"), "{screen}");
    for address in ["dave@lab.test", "quentin@lab.test", "erin@lab.test"] {
        assert!(screen.contains(address), "{address} is listed:\n{screen}");
    }
    assert!(!screen.contains("export to"), "no key was typed:\n{screen}");
    assert!(!tmux.exited(), "the TUI still runs:\n{screen}");
}
