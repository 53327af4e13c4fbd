//! The history in the TUI, through the real binary in tmux: a list whose address the history
//! already knows shows it at once, marked as from history in the detail pane, and `r` asks
//! the server again (and records that answer).

mod common;

use common::mxknock_with_env;
use common::tmux::{Tmux, demo_command};

#[test]
fn a_known_address_shows_from_history_and_r_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let db_arg = db.to_str().unwrap();
    let on = [("MXKNOCK_NO_HISTORY", "0")];
    let (code, _, stderr) =
        mxknock_with_env(&["check", "--demo", "--db", db_arg, "alice@lab.test"], &on);
    assert_eq!(code, 0, "{stderr}");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "alice@lab.test\n").unwrap();
    let command = demo_command(
        dir.path(),
        "MXKNOCK_NO_HISTORY=0",
        &format!("--db '{db_arg}' '{}'", list.display()),
    );
    let Some(tmux) = Tmux::start(&command, dir.path()) else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    let screen = tmux.wait_for(", from history");
    assert!(screen.contains("deliverable"), "{screen}");
    tmux.run(&["send-keys", "-t", "tui", "r"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let screen = tmux.screen();
        if screen.contains("checked")
            && !screen.contains(", from history")
            && screen.contains("250 2.1.5")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no fresh answer:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    tmux.run(&["send-keys", "-t", "tui", "q"]);
    let stored = || {
        let (_, stdout, _) = mxknock_with_env(
            &["history", "alice@lab.test", "--json", "--db", db_arg],
            &on,
        );
        stdout.lines().count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while stored() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the re-check was not recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
