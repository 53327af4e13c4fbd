//! The TUI's own options through the real binary in tmux. `--no-mouse` and `ui.mouse = false`:
//! tmux reports whether the program in its pane asked for mouse events (`#{mouse_any_flag}`,
//! set by the escape sequence crossterm's mouse capture sends); by default the TUI captures
//! the mouse, with either setting it leaves it to the terminal, so text can be selected.
//! `-v --log-file`: the engine's log goes to the file, never onto the screen.

mod common;

use common::tmux::{Tmux, demo_command};

/// Starts the demo TUI with `extra` arguments and `config` as its config file, waits until
/// it has drawn, and returns tmux's `mouse_any_flag` for its pane (None without tmux).
fn mouse_flag(extra: &str, config: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let tmux = start_demo(dir.path(), extra, config)?;
    tmux.wait_for("addresses");
    Some(tmux.pane_format("#{mouse_any_flag}"))
}

/// Starts the demo TUI in `dir` with `extra` arguments and `config` as its config file.
fn start_demo(dir: &std::path::Path, extra: &str, config: &str) -> Option<Tmux> {
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, config).unwrap();
    let command = demo_command(
        dir,
        "",
        &format!("--config '{}' {extra}", config_path.display()),
    );
    Tmux::start(&command, dir)
}

#[test]
fn the_tui_captures_the_mouse_unless_told_not_to() {
    let Some(default) = mouse_flag("", "") else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    assert_eq!(default, "1", "mouse captured by default");
    assert_eq!(mouse_flag("--no-mouse", "").unwrap(), "0", "--no-mouse");
    assert_eq!(
        mouse_flag("", "[ui]\nmouse = false\n").unwrap(),
        "0",
        "ui.mouse = false"
    );
}

#[test]
fn verbose_in_the_tui_logs_to_the_file_and_never_onto_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tui.log");
    let extra = format!("-vv --log-file '{}'", log.display());
    let Some(tmux) = start_demo(dir.path(), &extra, "") else {
        eprintln!("skipped: tmux is not installed");
        return;
    };
    let screen = tmux.wait_for("alice@lab.test");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let logged = loop {
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        if logged.contains("alice@lab.test: deliverable (ok)") {
            break logged;
        }
        assert!(std::time::Instant::now() < deadline, "not logged: {logged}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        logged.contains("resolving MX for lab.test"),
        "-vv steps: {logged}"
    );
    let screen = format!("{screen}{}", tmux.screen());
    assert!(
        !screen.contains("INFO") && !screen.contains("DEBUG"),
        "{screen}"
    );
}
