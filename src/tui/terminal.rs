//! Taking the terminal over and giving it back. [`enter`] switches on raw mode, the alternate
//! screen, bracketed paste and mouse capture (unless `ui.mouse = false` / `--no-mouse`); [`restore`] switches every one of them off again
//! and shows the cursor. It runs when the [`Restore`] guard drops (quit, signal, error,
//! unwinding) and from the panic hook, before the message is printed so that it is readable.
//! The hook restores only for a panic on the thread that runs the TUI (the one that ends the
//! process): a task that panics on another thread is caught by tokio while the TUI goes on, and
//! must not leave it drawing on a cooked terminal. Restoring twice is harmless.

use std::cell::Cell;
use std::io::{self, Stdout, stdout};
use std::sync::Once;

use crossterm::cursor::Show;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

thread_local! {
    /// Whether this thread has the terminal (between `enter` and the guard's drop).
    static HOLDS_TERMINAL: Cell<bool> = const { Cell::new(false) };
}

/// Restores the terminal when dropped.
pub struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
        HOLDS_TERMINAL.with(|holds| holds.set(false));
    }
}

/// Raw mode, alternate screen, bracketed paste and (when `mouse`) mouse capture on, with the
/// panic hook set. Keep the guard as long as the terminal is in use; on an error it has
/// restored already.
pub fn enter(mouse: bool) -> io::Result<(Terminal<CrosstermBackend<Stdout>>, Restore)> {
    install_panic_hook();
    HOLDS_TERMINAL.with(|holds| holds.set(true));
    let guard = Restore;
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    if mouse {
        execute!(stdout(), EnableMouseCapture)?;
    }
    let terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    Ok((terminal, guard))
}

/// Gives the terminal back as it was: every step is tried even if one fails.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
}

/// A panic on the TUI's thread restores the terminal first, then reports as before.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if HOLDS_TERMINAL.try_with(Cell::get).unwrap_or(false) {
                restore();
            }
            previous(info);
        }));
    });
}
