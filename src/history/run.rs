//! The history as one run of a command uses it: opened (or not) as the configuration says,
//! the engine's side of it (reuse and the recorder's tap), and the recorder to wait for when
//! the run ends, so that every result it saw is committed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{History, Recorder, Reuse, ReuseAges, SenderSetup};
use crate::config::Config;
use crate::engine::EngineHistory;

/// The history of one run.
#[derive(Default)]
pub struct RunHistory {
    /// What the engine is given.
    pub engine: EngineHistory,
    recorder: Option<Recorder>,
    /// The database, when the history is on.
    pub path: Option<PathBuf>,
}

impl RunHistory {
    /// No history: nothing reused, nothing recorded.
    pub fn off() -> RunHistory {
        RunHistory::default()
    }

    /// Opens the history for a run: off when `history.enabled` is false, and with `demo`
    /// unless a database was named (`--db`), so the lab's results never mix with real ones.
    /// `fresh`: record, but reuse nothing. A file that was not a history is moved aside with
    /// a note on standard error.
    pub fn open(
        config: &Config,
        fresh: bool,
        demo: bool,
        db_given: bool,
    ) -> Result<RunHistory, String> {
        if !config.history.enabled || (demo && !db_given) {
            return Ok(RunHistory::off());
        }
        let Some(path) = config.history.path.clone().or_else(History::default_path) else {
            return Ok(RunHistory::off());
        };
        let opened = History::open(&path).map_err(|e| e.to_string())?;
        if let Some((aside, why)) = &opened.moved_aside {
            eprintln!(
                "mxknock: history {}: {why}; moved to {} and a new history started",
                path.display(),
                aside.display()
            );
        }
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        let readers = (0..threads)
            .map(|_| History::open(&path).map(|o| o.history))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let ages = if fresh {
            ReuseAges::default()
        } else {
            let secs = Duration::from_secs_f64;
            ReuseAges {
                results: secs(config.history.reuse_for),
                catch_all: secs(config.history.catch_all_for),
                refused_us: secs(config.history.refused_us_for),
            }
        };
        let sender = SenderSetup {
            helo: config.helo_name(),
            mail_from: config.smtp.from.clone(),
            route: route(config, demo),
            asked_mx_hosts: config.smtp.server.as_deref().is_none_or(str::is_empty),
        };
        let (recorder, tap) = Recorder::start(opened.history, sender, config.history.transcripts);
        Ok(RunHistory {
            engine: EngineHistory {
                reuse: Some(Arc::new(Reuse::new(readers, ages))),
                tap: Some(tap),
            },
            recorder: Some(recorder),
            path: Some(path),
        })
    }

    /// The engine's side, taken out to start the engine with.
    pub fn take_engine(&mut self) -> EngineHistory {
        std::mem::take(&mut self.engine)
    }

    /// Waits until every result is committed (the engine must be gone); the error that stopped
    /// recording, if one did.
    pub fn finish(self) -> Option<String> {
        self.recorder.and_then(|r| r.finish().failure)
    }
}

/// How the servers were reached, as stored with each check.
fn route(config: &Config, demo: bool) -> String {
    let via = if demo {
        "lab".to_string()
    } else if let Some(proxy) = config.smtp.proxy.as_deref().filter(|p| !p.is_empty()) {
        crate::proxy_url::Socks5Proxy::parse(proxy)
            .map(|p| format!("proxy {}", p.shown()))
            .unwrap_or_else(|_| "proxy".into())
    } else if let Some(ip) = config.smtp.bind_ip() {
        format!("bind {ip}")
    } else {
        "direct".to_string()
    };
    match config.smtp.server.as_deref().filter(|s| !s.is_empty()) {
        Some(server) => format!("{via}, --server {server}"),
        None => via,
    }
}
