//! `--no-mouse` and `ui.mouse = false` through the real binary in tmux: tmux reports whether
//! the program in its pane asked for mouse events (`#{mouse_any_flag}`, set by the escape
//! sequence crossterm's mouse capture sends). By default the TUI captures the mouse; with
//! either setting it leaves the mouse to the terminal, so text can be selected.

mod common;

use common::tmux::Tmux;

/// Starts the demo TUI with `extra` arguments and `config` as its config file, waits until
/// it has drawn, and returns tmux's `mouse_any_flag` for its pane (None without tmux).
fn mouse_flag(extra: &str, config: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, config).unwrap();
    let command = format!(
        "exec env MXKNOCK_LAB_LATENCY_MS=2 MXKNOCK_GREYLIST_WAIT=0 NO_COLOR=1 HOME='{home}' XDG_CONFIG_HOME='{home}' '{bin}' --demo --config '{config}' {extra}",
        home = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_mxknock"),
        config = config_path.display(),
    );
    let tmux = Tmux::start(&command, dir.path())?;
    tmux.wait_for("addresses");
    Some(tmux.pane_format("#{mouse_any_flag}"))
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
