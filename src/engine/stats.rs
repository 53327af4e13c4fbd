//! Counters of one engine run, shared by every worker: how gentle and how fast we were.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Live counters (atomics, updated by workers).
#[derive(Debug, Default)]
pub struct Stats {
    sessions: AtomicU64,
    rcpts: AtomicU64,
}

/// A snapshot of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// TCP connections opened to SMTP servers.
    pub sessions_opened: u64,
    /// RCPT TO commands sent (catch-all probes included).
    pub rcpts_sent: u64,
}

impl Stats {
    /// One more connection was opened.
    pub fn session_opened(&self) {
        self.sessions.fetch_add(1, Ordering::Relaxed);
    }

    /// One more RCPT was sent.
    pub fn rcpt_sent(&self) {
        self.rcpts.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            sessions_opened: self.sessions.load(Ordering::Relaxed),
            rcpts_sent: self.rcpts.load(Ordering::Relaxed),
        }
    }
}
