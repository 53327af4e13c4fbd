//! A tmux server of the test's own, to drive the real binary in a terminal: start a command
//! in a session, type keys, read the screen and the pane's state. Tests skip, with a note,
//! where tmux is not installed. Every wait is a generous deadline.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long any one step may take on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// One tmux server of our own; killed (with the TUI in it) when dropped.
pub struct Tmux {
    socket: PathBuf,
}

/// The shell command that runs the demo TUI with `args` (shell-quoted by the caller) in a
/// clean environment of `dir`: the lab answering after 2 ms, no greylisting wait, no colour,
/// no user config, and `env` (`NAME=value` words) on top.
pub fn demo_command(dir: &Path, env: &str, args: &str) -> String {
    format!(
        "exec env MXKNOCK_LAB_LATENCY_MS=2 MXKNOCK_GREYLIST_WAIT=0 NO_COLOR=1 HOME='{home}' XDG_CONFIG_HOME='{home}' {env} '{bin}' --demo {args}",
        home = dir.display(),
        bin = env!("CARGO_BIN_EXE_mxknock"),
    )
}

impl Tmux {
    /// Starts `command` in a 120x40 session, or None when tmux is not installed.
    pub fn start(command: &str, dir: &Path) -> Option<Tmux> {
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

    pub fn run(&self, args: &[&str]) -> String {
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

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "tui"])
    }

    /// A pane format variable (`#{mouse_any_flag}`), as tmux reports it.
    pub fn pane_format(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "tui", format])
            .trim()
            .to_string()
    }

    /// Whether the program in the pane has ended.
    pub fn exited(&self) -> bool {
        self.run(&["display-message", "-p", "-t", "tui", "#{pane_dead}"])
            .trim()
            == "1"
    }

    /// Waits until the screen shows `text`; fails if the program ends first.
    pub fn wait_for(&self, text: &str) -> String {
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
