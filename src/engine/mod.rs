//! The verification engine. It knows nothing of terminals: the TUI and the headless commands
//! are two consumers of the same [`EngineEvent`] stream.
//!
//! [`Engine::start`] returns a handle to submit addresses and the receiving end of one bounded
//! channel. Workers await `send`, so a slow consumer slows the engine instead of growing memory.
//! Submissions are bounded too ([`admission`]): any number may be submitted, at most
//! `engine.max_in_flight` are in flight and the rest wait as compact entries. For each job, its
//! lines arrive before its `Finished`. The stream ends when the handle is dropped and every job
//! has finished.

pub mod admission;
pub mod context;
pub mod dns;
pub mod emit;
pub mod event;
pub mod hosts;
pub mod judge;
pub mod knowledge;
pub mod net;
pub mod notice;
pub mod prepare;
pub mod proxy;
pub mod scheduler;
pub mod session;
pub mod smtp;
pub mod stats;
pub mod tap;
pub mod transcript;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Semaphore, mpsc, watch};

use crate::config::Config;
use admission::{Admission, Entry, Ticket};
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
    /// benchmark's baseline): the same conversation and limits, but every address is a queue of
    /// its own, so nothing is shared between addresses.
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

    /// Starts an engine that reuses and records through the history (see [`EngineHistory`]).
    pub fn start_with_history(
        config: Arc<Config>,
        net: Net,
        history: EngineHistory,
    ) -> (EngineHandle, mpsc::Receiver<EngineEvent>) {
        Self::start_full(config, net, Strategy::Scheduled, history)
    }

    /// Starts an engine with a given strategy.
    pub fn start_with(
        config: Arc<Config>,
        net: Net,
        strategy: Strategy,
    ) -> (EngineHandle, mpsc::Receiver<EngineEvent>) {
        Self::start_full(config, net, strategy, EngineHistory::default())
    }

    fn start_full(
        config: Arc<Config>,
        net: Net,
        strategy: Strategy,
        history: EngineHistory,
    ) -> (EngineHandle, mpsc::Receiver<EngineEvent>) {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let admission = Admission::new(config.engine.max_in_flight);
        let mut ctx = CheckContext::new(config, net);
        ctx.reuse = history.reuse;
        let ctx = Arc::new(ctx);
        let (paused, paused_rx) = watch::channel(false);
        let starter = JobStarter {
            tx,
            tap: history.tap,
            prepare: Arc::new(Semaphore::new(PREPARE_CONCURRENCY)),
            scheduler: Scheduler::new(ctx.clone(), paused_rx.clone(), strategy),
            ctx: ctx.clone(),
            paused: paused_rx,
        };
        tokio::spawn(
            admission
                .clone()
                .pump(move |entry, ticket| starter.start(entry, ticket)),
        );
        let handle = EngineHandle {
            ctx,
            admission,
            paused,
            next_job: AtomicU64::new(0),
        };
        (handle, rx)
    }
}

/// How an engine uses the history: results that may stand in for a check, and where a copy
/// of every transcript line and report goes to be recorded. The default uses none.
#[derive(Default)]
pub struct EngineHistory {
    /// Reused results (`history.reuse_for`; none with `--fresh`).
    pub reuse: Option<Arc<crate::history::Reuse>>,
    /// The recorder's tap.
    pub tap: Option<tap::Tap>,
}

/// Starts an admitted job: its task, its emitter, its way through the engine.
struct JobStarter {
    tx: mpsc::Sender<EngineEvent>,
    tap: Option<tap::Tap>,
    ctx: Arc<CheckContext>,
    prepare: Arc<Semaphore>,
    scheduler: Arc<Scheduler>,
    paused: watch::Receiver<bool>,
}

impl JobStarter {
    fn start(&self, entry: Entry, ticket: Ticket) {
        let address = String::from(entry.address);
        let reuse = !entry.fresh;
        let emit = Emitter::new(entry.job, self.tx.clone()).with_tap(self.tap.clone());
        let paused = self.paused.clone();
        let ctx = self.ctx.clone();
        let scheduler = self.scheduler.clone();
        let prepare_permits = self.prepare.clone();
        tokio::spawn(async move {
            // The recorder hears of the job only once it is not answered from the history:
            // a list answered from it costs the recorder nothing.
            emit.send_untapped(EventKind::Queued {
                address: address.clone(),
            })
            .await;
            wait_unpaused(paused).await;
            let mut recorder_told = false;
            if reuse && let Some(wait) = ctx.reuse.as_ref().and_then(|r| r.pending_wait(&address)) {
                emit.tap_queued(&address).await;
                recorder_told = true;
                wait_for_pending_recheck(wait, &emit).await;
            }
            let Ok(permit) = prepare_permits.acquire_owned().await else {
                return;
            };
            let prepared = prepare::prepare(&address, &ctx, &emit, reuse).await;
            drop(permit);
            match prepared {
                prepare::Prep::Done(report) => {
                    let from_history = report.from_history;
                    let finished = EventKind::Finished(Box::new(report));
                    if from_history && !recorder_told {
                        emit.send_untapped(finished).await;
                    } else {
                        emit.send(finished).await;
                    }
                    drop(ticket);
                }
                prepare::Prep::Ready(prepared) => {
                    if !recorder_told {
                        emit.tap_queued(&address).await;
                    }
                    emit.stage(Stage::Waiting).await;
                    scheduler.enqueue(scheduler::Pending {
                        emit,
                        prepared,
                        ticket: Some(ticket),
                        greylist_tries: 0,
                        greylisted_since: None,
                        unanswered_sessions: 0,
                    })
                }
            }
        });
    }
}

/// Waits out (`wait`) a greylisting re-check that an earlier run scheduled for the address and did not
/// live to make (the TUI closed, a batch stopped): asking sooner would only be greylisted again
/// and restart the server's clock.
async fn wait_for_pending_recheck(wait: std::time::Duration, emit: &Emitter) {
    emit.stage(Stage::Greylisted(wait.as_secs_f64().ceil() as u64))
        .await;
    emit.info(format!(
        "greylisted in an earlier run: its re-check is due in {:.0} s; waiting for it",
        wait.as_secs_f64()
    ))
    .await;
    tokio::time::sleep(wait).await;
}

/// Submits work to a running engine. Dropping it lets the event stream end once all jobs finish.
pub struct EngineHandle {
    ctx: Arc<CheckContext>,
    admission: Arc<Admission>,
    paused: watch::Sender<bool>,
    next_job: AtomicU64,
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.admission.close();
    }
}

impl EngineHandle {
    /// Queues `address` (as the user gave it) and returns its job id. Any number may be
    /// submitted: beyond `engine.max_in_flight` they wait as compact entries, in order.
    pub fn submit(&self, address: impl Into<String>) -> JobId {
        self.push(address.into(), false)
    }

    /// Queues `address` to be asked again, whatever the history holds (the TUI's re-check).
    pub fn submit_fresh(&self, address: impl Into<String>) -> JobId {
        self.push(address.into(), true)
    }

    fn push(&self, address: String, fresh: bool) -> JobId {
        let job = JobId(self.next_job.fetch_add(1, Ordering::Relaxed));
        self.admission.push(Entry {
            job,
            address: address.into_boxed_str(),
            fresh,
        });
        job
    }

    /// Addresses in flight (admitted, not finished, not waiting for a greylisting re-check)
    /// and addresses waiting for room.
    pub fn admission(&self) -> (usize, usize) {
        (self.admission.in_flight(), self.admission.queued())
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
