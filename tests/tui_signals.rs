//! SIGTERM, SIGHUP and SIGINT sent to the TUI give the terminal back: the built binary runs
//! `--demo` in a pseudo-terminal this test opens, gets the signal once its first frame is on
//! screen, and must exit with 128 + the signal, leaving the pty with echo and canonical input on
//! and its last output switching off the alternate screen, mouse tracking and bracketed paste
//! and showing the cursor again. No timing is asserted: every wait is a generous deadline.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long any one step may take on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// Both ends of a pseudo-terminal; the slave is kept open so its modes can be read after the
/// program has exited.
struct Pty {
    master: File,
    slave: OwnedFd,
}

fn open_pty() -> Pty {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the two ints; the other pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and belong to nobody else.
    let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    Pty { master, slave }
}

/// Starts `mxknock --demo` with the pty as its controlling terminal and standard streams.
fn spawn_tui(pty: &Pty, home: &std::path::Path) -> Child {
    let stdio = || Stdio::from(pty.slave.try_clone().expect("dup the pty slave"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxknock"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MXKNOCK_")) {
        command.env_remove(name);
    }
    command
        .arg("--demo")
        .env("MXKNOCK_LAB_LATENCY_MS", "2")
        .env("MXKNOCK_GREYLIST_WAIT", "0")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm-256color")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command.spawn().expect("the binary starts")
}

/// Everything the program has written so far is appended to `out` (waits up to 50 ms for more).
fn drain(master: &mut File, out: &mut Vec<u8>) {
    let mut poll = libc::pollfd {
        fd: master.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut poll, 1, 50) };
    let mut buf = [0u8; 65536];
    loop {
        match master.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => return, // WouldBlock: nothing more for now
        }
    }
}

fn termios(slave: &OwnedFd) -> libc::termios {
    // SAFETY: tcgetattr fills the zeroed struct from a descriptor we own.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(
            libc::tcgetattr(slave.as_raw_fd(), &mut t),
            0,
            "tcgetattr: {}",
            io::Error::last_os_error()
        );
        t
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// Kills the child if the test fails half-way, so no TUI outlives it.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs the TUI, sends `signal` once it is drawn, and returns the exit status, everything it
/// wrote and the pty's modes after it exited.
fn run_and_signal(signal: i32) -> (ExitStatus, Vec<u8>, libc::termios) {
    let home = tempfile::tempdir().unwrap();
    let mut pty = open_pty();
    let before = termios(&pty.slave);
    assert_ne!(before.c_lflag & libc::ECHO, 0, "a new pty echoes");
    let mut child = Reap(spawn_tui(&pty, home.path()));
    let mut out = Vec::new();

    let start = Instant::now();
    while !contains(&out, b"addresses") {
        drain(&mut pty.master, &mut out);
        if let Some(status) = child.0.try_wait().unwrap() {
            panic!(
                "the TUI ended before drawing ({status}): {}",
                String::from_utf8_lossy(&out)
            );
        }
        assert!(
            start.elapsed() < DEADLINE,
            "no first frame: {}",
            String::from_utf8_lossy(&out)
        );
    }
    let raw = termios(&pty.slave);
    assert_eq!(raw.c_lflag & libc::ECHO, 0, "the TUI runs in raw mode");

    // SAFETY: kill with the pid of our own child.
    assert_eq!(
        unsafe { libc::kill(child.0.id() as libc::pid_t, signal) },
        0
    );
    let start = Instant::now();
    let status = loop {
        drain(&mut pty.master, &mut out);
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the TUI did not exit after signal {signal}"
        );
    };
    drain(&mut pty.master, &mut out);
    (status, out, termios(&pty.slave))
}

fn assert_restored(signal: i32) {
    let (status, out, modes) = run_and_signal(signal);
    let tail = String::from_utf8_lossy(&out[out.len().saturating_sub(400)..]).into_owned();
    assert_eq!(
        status.code(),
        Some(128 + signal),
        "exit status {status} after signal {signal}; output ends {tail:?}"
    );
    assert_ne!(modes.c_lflag & libc::ECHO, 0, "echo is back on");
    assert_ne!(
        modes.c_lflag & libc::ICANON,
        0,
        "canonical input is back on"
    );
    for (on, off, what) in [
        (&b"\x1b[?1049h"[..], &b"\x1b[?1049l"[..], "alternate screen"),
        (b"\x1b[?1000h", b"\x1b[?1000l", "mouse tracking"),
        (b"\x1b[?2004h", b"\x1b[?2004l", "bracketed paste"),
        (b"\x1b[?25l", b"\x1b[?25h", "hidden cursor"),
    ] {
        let (Some(on_at), Some(off_at)) = (last(&out, on), last(&out, off)) else {
            panic!("{what}: not both switched on and off; output ends {tail:?}");
        };
        assert!(
            off_at > on_at,
            "{what} is still on at the end; output ends {tail:?}"
        );
    }
}

#[test]
fn sigterm_restores_the_terminal_and_exits_143() {
    assert_restored(libc::SIGTERM);
}

#[test]
fn sighup_restores_the_terminal_and_exits_129() {
    assert_restored(libc::SIGHUP);
}

#[test]
fn sigint_restores_the_terminal_and_exits_130() {
    assert_restored(libc::SIGINT);
}
