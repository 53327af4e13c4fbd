//! The verification engine. It knows nothing of terminals: the TUI and the headless commands
//! are two consumers of the same [`EngineEvent`] stream.
//!
//! [`Engine::start`] returns a handle to submit addresses and the receiving end of one bounded
//! channel. Workers await `send`, so a slow consumer slows the engine instead of growing memory.
//! For each job, its lines arrive before its `Finished`. The stream ends when the handle is
//! dropped and every job has finished.

pub mod check;
pub mod classify;
pub mod connect;
pub mod context;
pub mod dns;
pub mod emit;
pub mod event;
pub mod lists;
pub mod net;
pub mod outcome;
pub mod prepare;
pub mod smtp;
pub mod stats;
pub mod transcript;
pub mod verdict;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Semaphore, mpsc, watch};

use crate::config::Config;
use check::check_address;
use context::CheckContext;
use emit::Emitter;
pub use event::{EngineEvent, EventKind, JobId, Stage};
use net::Net;

/// How many events may wait in the channel before workers pause.
pub const EVENT_BUFFER: usize = 1024;

/// Starts engines.
pub struct Engine;

impl Engine {
    /// Starts an engine over `net` with `config`. Must be called inside a tokio runtime.
    pub fn start(config: Arc<Config>, net: Net) -> (EngineHandle, mpsc::Receiver<EngineEvent>) {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let permits = Arc::new(Semaphore::new(config.engine.concurrency.max(1)));
        let ctx = Arc::new(CheckContext::new(config, net));
        let (paused, _) = watch::channel(false);
        let handle = EngineHandle {
            tx,
            ctx,
            permits,
            paused,
            next_job: AtomicU64::new(0),
        };
        (handle, rx)
    }
}

/// Submits work to a running engine. Dropping it lets the event stream end once all jobs finish.
pub struct EngineHandle {
    tx: mpsc::Sender<EngineEvent>,
    ctx: Arc<CheckContext>,
    permits: Arc<Semaphore>,
    paused: watch::Sender<bool>,
    next_job: AtomicU64,
}

impl EngineHandle {
    /// Queues `address` (as the user gave it) and returns its job id.
    pub fn submit(&self, address: impl Into<String>) -> JobId {
        let job = JobId(self.next_job.fetch_add(1, Ordering::Relaxed));
        let address = address.into();
        let emit = Emitter::new(job, self.tx.clone());
        let ctx = self.ctx.clone();
        let permits = self.permits.clone();
        let mut paused = self.paused.subscribe();
        tokio::spawn(async move {
            emit.send(EventKind::Queued {
                address: address.clone(),
            })
            .await;
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            // Paused: hold the job (and its worker slot) until resumed.
            while *paused.borrow_and_update() {
                if paused.changed().await.is_err() {
                    break;
                }
            }
            let report = check_address(&address, &ctx, &emit).await;
            emit.send(EventKind::Finished(Box::new(report))).await;
        });
        job
    }

    /// Holds (true) or releases (false) jobs that have not started; running checks finish.
    pub fn set_paused(&self, paused: bool) {
        self.paused.send_replace(paused);
    }

    /// Sessions opened and RCPTs sent so far.
    pub fn stats(&self) -> stats::StatsSnapshot {
        self.ctx.stats.snapshot()
    }

    /// The live counters, to read after the handle is dropped (when the event stream has ended).
    pub fn stats_source(&self) -> Arc<stats::Stats> {
        self.ctx.stats.clone()
    }

    /// The configuration the engine runs with.
    pub fn config(&self) -> &Config {
        &self.ctx.config
    }
}
