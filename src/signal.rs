//! The signals that end a run: SIGTERM (`kill`, service managers), SIGHUP (the terminal went
//! away) and SIGINT (Ctrl-C). The TUI and `batch` catch them (tokio's `signal::unix`, already
//! in use for everything else async) so that the TUI can restore the terminal and `batch` can
//! write its summary and what is left for `--resume`; both then exit with 128 + the signal's
//! number, as a shell reports a process killed by it.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The caught signals, from installation on (one arriving early waits for [`Signals::recv`]).
pub struct Signals {
    caught: [(Signal, SignalKind); 3],
}

impl Signals {
    /// Catches SIGTERM, SIGHUP and SIGINT from now on (for the rest of the process).
    pub fn install() -> io::Result<Signals> {
        let catch = |kind: SignalKind| signal(kind).map(|s| (s, kind));
        Ok(Signals {
            caught: [
                catch(SignalKind::terminate())?,
                catch(SignalKind::hangup())?,
                catch(SignalKind::interrupt())?,
            ],
        })
    }

    /// Waits for the next of them and returns its number.
    pub async fn recv(self) -> i32 {
        let [(mut term, t), (mut hup, h), (mut int, i)] = self.caught;
        tokio::select! {
            Some(()) = term.recv() => t.as_raw_value(),
            Some(()) = hup.recv() => h.as_raw_value(),
            Some(()) = int.recv() => i.as_raw_value(),
            else => std::future::pending().await,
        }
    }
}
