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
pub mod host_health;
pub mod host_limit;
pub mod host_trial;
pub mod lists;
pub mod net;
pub mod notice;
pub mod outcome;
pub mod port_breaker;
pub mod prepare;
pub mod proxy;
pub mod scheduler;
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
use scheduler::Scheduler;

/// Waits while paused.
async fn wait_unpaused(mut paused: watch::Receiver<bool>) {
    while *paused.borrow_and_update() {
        if paused.changed().await.is_err() {
            break;
        }
    }
}

/// How many events may wait in the channel before workers pause.
pub const EVENT_BUFFER: usize = 1024;

/// How addresses are verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// The scheduler: many addresses of a domain per session, polite limits, caches,
    /// greylisting re-checks.
    #[default]
    Scheduled,
    /// One connection and one catch-all probe per address, as most verifiers do (the
    /// benchmark's baseline).
    PerAddress,
}

/// How many addresses may be parsed and resolved at once (DNS is cached per domain).
const PREPARE_CONCURRENCY: usize = 64;

/// Starts engines.
pub struct Engine;

impl Engine {
    /// Starts an engine over `net` with `config`. Must be called inside a tokio runtime.
    pub fn start(config: Arc<Config>, net: Net) -> (EngineHandle, mpsc::Receiver<EngineEvent>) {
        Self::start_with(config, net, Strategy::Scheduled)
    }

    /// Starts an engine with a given strategy.
    pub fn start_with(
        config: Arc<Config>,
        net: Net,
        strategy: Strategy,
    ) -> (EngineHandle, mpsc::Receiver<EngineEvent>) {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let permits = Arc::new(Semaphore::new(config.engine.concurrency.max(1)));
        let ctx = Arc::new(CheckContext::new(config, net));
        let (paused, paused_rx) = watch::channel(false);
        let scheduler = Scheduler::new(ctx.clone(), paused_rx);
        let handle = EngineHandle {
            tx,
            ctx,
            permits,
            prepare: Arc::new(Semaphore::new(PREPARE_CONCURRENCY)),
            scheduler,
            strategy,
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
    prepare: Arc<Semaphore>,
    scheduler: Arc<Scheduler>,
    strategy: Strategy,
    paused: watch::Sender<bool>,
    next_job: AtomicU64,
}

impl EngineHandle {
    /// Queues `address` (as the user gave it) and returns its job id.
    pub fn submit(&self, address: impl Into<String>) -> JobId {
        let job = JobId(self.next_job.fetch_add(1, Ordering::Relaxed));
        let address = address.into();
        let emit = Emitter::new(job, self.tx.clone());
        let paused = self.paused.subscribe();
        match self.strategy {
            Strategy::PerAddress => {
                let ctx = self.ctx.clone();
                let permits = self.permits.clone();
                tokio::spawn(async move {
                    emit.send(EventKind::Queued {
                        address: address.clone(),
                    })
                    .await;
                    let Ok(_permit) = permits.acquire_owned().await else {
                        return;
                    };
                    wait_unpaused(paused).await;
                    let report = check_address(&address, &ctx, &emit).await;
                    emit.send(EventKind::Finished(Box::new(report))).await;
                });
            }
            Strategy::Scheduled => {
                let ctx = self.ctx.clone();
                let scheduler = self.scheduler.clone();
                let prepare_permits = self.prepare.clone();
                tokio::spawn(async move {
                    emit.send(EventKind::Queued {
                        address: address.clone(),
                    })
                    .await;
                    wait_unpaused(paused).await;
                    let Ok(permit) = prepare_permits.acquire_owned().await else {
                        return;
                    };
                    let prepared = prepare::prepare(&address, &ctx, &emit).await;
                    drop(permit);
                    match prepared {
                        prepare::Prep::Done(report) => {
                            emit.send(EventKind::Finished(Box::new(report))).await;
                        }
                        prepare::Prep::Ready(prepared) => {
                            emit.stage(Stage::Waiting).await;
                            scheduler.enqueue(scheduler::Pending {
                                emit,
                                prepared,
                                greylist_tries: 0,
                                greylisted_since: None,
                                unanswered_sessions: 0,
                            })
                        }
                    }
                });
            }
        }
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

    /// The servers that refused us so far (our IP, rDNS, HELO, a blocklist), as
    /// `mx.example[192.0.2.1]`, and how many (cheap to ask every frame).
    pub fn hosts_refused_us(&self) -> (usize, impl FnOnce() -> Vec<String> + '_) {
        let stats = &self.ctx.stats;
        (stats.hosts_refused_us_count(), move || {
            stats.hosts_refused_us()
        })
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
