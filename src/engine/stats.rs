//! Counters of one engine run, shared by every worker: how gentle and how fast we were.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::net::BoxIo;

/// Live counters (atomics, updated by workers).
#[derive(Debug, Default)]
pub struct Stats {
    sessions: AtomicU64,
    rcpts: AtomicU64,
    open: AtomicU64,
    refused_us: std::sync::Mutex<Vec<String>>,
}

/// A snapshot of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// TCP connections opened to SMTP servers.
    pub sessions_opened: u64,
    /// RCPT TO commands sent (catch-all probes included).
    pub rcpts_sent: u64,
    /// Connections to SMTP servers open right now.
    #[serde(skip)]
    pub sessions_open: u64,
}

impl Stats {
    /// One more connection was opened: counts it, and counts it as open until the returned
    /// stream (which wraps `io`, and stays inside a TLS layer put on top) is dropped.
    pub fn session_opened(self: &Arc<Self>, io: BoxIo) -> BoxIo {
        self.sessions.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        Box::new(Counted {
            io,
            stats: self.clone(),
        })
    }

    /// A server refused us: named once in the run's summary.
    pub fn host_refused_us(&self, host: String) {
        self.refused_us
            .lock()
            .expect("refused hosts lock")
            .push(host);
    }

    /// The servers that refused us (our IP, rDNS, HELO, a blocklist), as `mx.example[192.0.2.1]`,
    /// in the order they did.
    pub fn hosts_refused_us(&self) -> Vec<String> {
        self.refused_us.lock().expect("refused hosts lock").clone()
    }

    /// How many servers refused us so far (cheap, for a status bar that redraws often).
    pub fn hosts_refused_us_count(&self) -> usize {
        self.refused_us.lock().expect("refused hosts lock").len()
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
            sessions_open: self.open.load(Ordering::Relaxed),
        }
    }
}

/// A connection that counts itself open until dropped.
struct Counted {
    io: BoxIo,
    stats: Arc<Stats>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_counts_as_open_until_its_stream_is_dropped() {
        let stats = Arc::new(Stats::default());
        let (a, _peer_a) = tokio::io::duplex(64);
        let (b, _peer_b) = tokio::io::duplex(64);
        let first = stats.session_opened(Box::new(a));
        let second = stats.session_opened(Box::new(b));
        assert_eq!(stats.snapshot().sessions_open, 2);
        drop(first);
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.sessions_open, 1);
        assert_eq!(snapshot.sessions_opened, 2, "opened never goes down");
        drop(second);
        assert_eq!(stats.snapshot().sessions_open, 0);
    }
}
