//! A paste through a real terminal: the built binary runs `--demo LIST` in tmux (a server of
//! its own, on a socket in a temporary folder, with no user config), `a` opens the add prompt,
//! and a three-line bracketed paste (`tmux paste-buffer -p`) must add three rows and leave the
//! app running, not be read as keys (a pasted `q` would quit or ask, an `e` open export).
//! Skipped, with a note, where tmux is not installed. Every wait is a generous deadline.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long any one step may take on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// One tmux server of our own; killed (with the TUI in it) when dropped.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// Starts `command` in a 120x40 session, or None when tmux is not installed.
    fn start(command: &str, dir: &Path) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            return None;
        }
        let tmux = Tmux {
            socket: dir.join("tmux.socket"),
        };
        let config = dir.join("tmux.conf");
        std::fs::write(&config, "set -g remain-on-exit on\n").unwrap();
        let config = config.to_str().unwrap().to_string();
        // In the temporary folder, so that keys typed by mistake cannot write into the repo.
        let cwd = dir.to_str().unwrap();
        tmux.run(&[
            "-f",
            &config,
            "new-session",
            "-d",
            "-s",
            "tui",
            "-x",
            "120",
            "-y",
            "40",
            "-c",
            cwd,
            command,
        ]);
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "tui"])
    }

    fn exited(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "tui", "#{pane_dead}"])
            .trim()
            == "1"
    }

    /// Waits until the screen shows `text`; fails if the program ends first.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                !self.exited(),
                "the TUI ended while waiting for {text:?}:\n{screen}"
            );
            assert!(
                start.elapsed() < DEADLINE,
                "no {text:?} on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

#[test]
fn a_three_line_paste_into_the_add_prompt_adds_three_rows_and_does_not_quit() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "alice@lab.test\n").unwrap();
    let command = format!(
        "exec env MXKNOCK_LAB_LATENCY_MS=2 MXKNOCK_GREYLIST_WAIT=0 NO_COLOR=1 HOME='{home}' XDG_CONFIG_HOME='{home}' '{bin}' --demo '{list}'",
        home = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_mxknock"),
        list = list.display(),
    );
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
