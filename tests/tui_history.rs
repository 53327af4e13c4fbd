//! The history in the TUI, through the real binary in tmux: a list whose address the history
//! already knows shows it at once, marked as from history in the detail pane, and `r` asks
//! the server again (and records that answer).

mod common;

use common::mxknock_with_env;
use common::tmux::{Tmux, demo_command};

/// The demo TUI on database `db_arg` with a list of alice@lab.test, in tmux (None: no tmux).
fn open_alice_in_the_tui(dir: &std::path::Path, db_arg: &str) -> Option<Tmux> {
    let list = dir.join("list.txt");
    std::fs::write(&list, "alice@lab.test\n").unwrap();
    let command = demo_command(
        dir,
        "MXKNOCK_NO_HISTORY=0",
        &format!("--db '{db_arg}' '{}'", list.display()),
    );
    Tmux::start(&command, dir)
}

#[test]
fn a_known_address_shows_from_history_and_r_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let db_arg = db.to_str().unwrap();
    let on = [("MXKNOCK_NO_HISTORY", "0")];
    let (code, _, stderr) =
        mxknock_with_env(&["check", "--demo", "--db", db_arg, "alice@lab.test"], &on);
    assert_eq!(code, 0, "{stderr}");
    let Some(tmux) = open_alice_in_the_tui(dir.path(), db_arg) else {
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

/// Sends one key to the TUI (one at a time: tmux would read Esc and a key after it as Alt).
fn key(tmux: &Tmux, key: &str) {
    tmux.run(&["send-keys", "-t", "tui", key]);
}

#[test]
fn the_detail_lists_past_checks_and_h_opens_their_stored_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    let db_arg = db.to_str().unwrap();
    let on = [("MXKNOCK_NO_HISTORY", "0")];
    // An older check that found no such user, loaded the way a merged batch output is.
    let (_, json, stderr) = mxknock_with_env(
        &[
            "check",
            "--demo",
            "--json",
            "--no-history",
            "nobody@lab.test",
        ],
        &[],
    );
    let mut older: serde_json::Value = serde_json::from_str(json.trim()).expect(&stderr);
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    older["address"] = "alice@lab.test".into();
    older["normalized"] = "alice@lab.test".into();
    older["checked_at"] = humantime::format_rfc3339_seconds(two_days_ago)
        .to_string()
        .into();
    let import = dir.path().join("older.jsonl");
    std::fs::write(&import, format!("{older}\n")).unwrap();
    let (code, _, stderr) = mxknock_with_env(
        &[
            "history",
            "import",
            import.to_str().unwrap(),
            "--db",
            db_arg,
        ],
        &on,
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) =
        mxknock_with_env(&["check", "--demo", "--db", db_arg, "alice@lab.test"], &on);
    assert_eq!(code, 0, "{stderr}");

    let Some(tmux) = open_alice_in_the_tui(dir.path(), db_arg) else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    // Newest first, the change marked, the older one two days back.
    let screen = tmux.wait_for("<- changed");
    assert!(screen.contains("(was undeliverable)"), "{screen}");
    let at = |text: &str| {
        screen
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no {text:?} on the screen:\n{screen}"))
    };
    let newest = at("s ago  deliverable (ok) 250 2.1.5  <- changed");
    let older = at("2 days ago  undeliverable (no_such_user) 550 5.1.1");
    let hint = at("H shows their stored transcripts");
    assert!(newest < older && older < hint, "{screen}");
    assert!(
        screen.lines().nth(newest).unwrap().contains("history "),
        "{screen}"
    );

    // H: the stored conversation (the imported check kept none, so one of one).
    key(&tmux, "H");
    // (Each wait is for the lowest thing on the screen, so the frame is drawn whole.)
    let screen = tmux.wait_for("[ older · ] newer · H live");
    assert!(screen.contains("stored transcript 1/1"), "{screen}");
    assert!(screen.contains("connecting to mx1.lab.test"), "{screen}");
    // It opens at the start; G goes to its end, the QUIT reply.
    key(&tmux, "G");
    let screen = tmux.wait_for("221 2.0.0 Bye");
    assert!(screen.contains("RCPT TO:<alice@lab.test>"), "{screen}");
    key(&tmux, "[");
    assert!(tmux.wait_for("stored transcript 1/1").contains("RCPT TO:"));

    // Back to the live transcript; r asks again, and that check joins the stored ones.
    key(&tmux, "H");
    tmux.wait_for("transcript · following");
    key(&tmux, "r");
    tmux.wait_for("<- changed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !tmux.screen().contains("2 days ago  undeliverable")
        || tmux.screen().matches("deliverable (ok) 250 2.1.5").count() < 2
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the re-check did not join the history:\n{}",
            tmux.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    key(&tmux, "H");
    let screen = tmux.wait_for("stored transcript 1/2");
    assert!(screen.contains("connecting to mx1.lab.test"), "{screen}");
    key(&tmux, "[");
    let screen = tmux.wait_for("stored transcript 2/2");
    assert!(screen.contains("connecting to mx1.lab.test"), "{screen}");
    key(&tmux, "Escape");
    tmux.wait_for("transcript · following");
}
