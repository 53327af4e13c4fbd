//! Bulk verification, fast and polite. Addresses are grouped by domain; each domain has a
//! queue, and session workers take addresses from it and check many of them in one SMTP
//! session (one MAIL transaction, many RCPTs, pipelined when the server offers PIPELINING).
//!
//! The scheduler holds queues and priorities only: the session limits (`engine.concurrency`
//! in all, `engine.per_host` per server IP, `connect_interval`) are taken by the conversation
//! layer ([`super::session::open`]), the global slots through this scheduler's priority gate. Per
//! session at most `rcpts_per_session` RCPTs and `rejected_per_session` rejected ones are sent
//! before reconnecting.
//! Per-run caches: MX per domain, catch-all per domain (probed once, in the first session that
//! sees an accepted address), and hosts whose STARTTLS failed. A greylisted address is checked
//! again after a real delay (`greylist_schedule`), up to `greylist_max_wait`.

pub mod domain;
pub mod gate;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gate::{Priority, PriorityGate};

use super::Strategy;
use super::admission::Ticket;
use super::context::CheckContext;
use super::emit::Emitter;
use super::event::EventKind;
use super::judge::outcome::{Decision, apply_decision};
use super::judge::verdict::{Reason, SmtpFacts};
use super::prepare::{Prepared, finish};
use domain::Domain;

/// One address waiting for (or in) a session.
pub struct Pending {
    /// Its events go here.
    pub emit: Emitter,
    /// Parsed, flagged, resolved.
    pub prepared: Prepared,
    /// Its place in the admission window; given back while it waits for a greylisting re-check.
    pub ticket: Option<Ticket>,
    /// Greylisting re-checks done.
    pub greylist_tries: usize,
    /// When it was first greylisted.
    pub greylisted_since: Option<Instant>,
    /// Sessions it took part in that ended without an answer for it (a 421, a session that
    /// broke): at most `engine.max_sessions_per_address`.
    pub unanswered_sessions: usize,
}

/// The scheduler of one engine run.
pub struct Scheduler {
    ctx: Arc<CheckContext>,
    sessions: Arc<PriorityGate>,
    domains: Mutex<HashMap<String, Arc<Domain>>>,
    strategy: Strategy,
    paused: tokio::sync::watch::Receiver<bool>,
}

impl Scheduler {
    /// A scheduler over `ctx`; `paused` holds new sessions while true.
    /// With [`Strategy::PerAddress`] every address is a domain queue of its own (one session
    /// and one catch-all probe each).
    pub fn new(
        ctx: Arc<CheckContext>,
        paused: tokio::sync::watch::Receiver<bool>,
        strategy: Strategy,
    ) -> Arc<Self> {
        let sessions = PriorityGate::new(ctx.config.engine.concurrency.max(1));
        Arc::new(Scheduler {
            ctx,
            sessions,
            domains: Mutex::default(),
            strategy,
            paused,
        })
    }

    /// Queues a prepared address for its domain and makes sure a worker will take it.
    pub fn enqueue(self: &Arc<Self>, pending: Pending) {
        let domain = self.domain_for(&pending);
        domain.push_back(pending);
        self.spawn_workers(&domain);
    }

    fn domain_for(&self, pending: &Pending) -> Arc<Domain> {
        let name = pending.prepared.address.domain().to_string();
        let prepared = &pending.prepared;
        let new_domain = |name| {
            Arc::new(Domain::new(
                name,
                prepared.hosts.clone(),
                prepared.provider.clone(),
            ))
        };
        if self.strategy == Strategy::PerAddress {
            return new_domain(name);
        }
        let mut domains = self.domains.lock().expect("domains lock");
        domains
            .entry(name.clone())
            .or_insert_with(|| new_domain(name))
            .clone()
    }

    /// Starts workers until the domain has as many as its queue deserves (at most `per_host`).
    pub(super) fn spawn_workers(self: &Arc<Self>, domain: &Arc<Domain>) {
        let engine = &self.ctx.config.engine;
        // A second session is worth opening once the queue holds more than one session's worth
        // of possible refusals, not only once it holds a full session of RCPTs.
        let per_session = engine.rcpts_per_session.min(engine.rejected_per_session);
        while domain.claim_worker(engine.per_host, per_session) {
            let scheduler = self.clone();
            let domain = domain.clone();
            tokio::spawn(async move { worker::run(scheduler, domain).await });
        }
    }

    /// The domain's claim on a global session slot: its remaining work, asked afresh each time
    /// a slot is handed out.
    pub(super) fn priority(&self, domain: &Arc<Domain>) -> Priority {
        let engine = &self.ctx.config.engine;
        let (per_session, rejected) = (engine.rcpts_per_session, engine.rejected_per_session);
        let domain = domain.clone();
        Arc::new(move || domain.remaining_work(per_session, rejected))
    }

    /// The context.
    pub fn ctx(&self) -> &CheckContext {
        &self.ctx
    }

    /// Schedules a greylisted address for a re-check, or returns it when the schedule is spent.
    /// The per-address strategy (the naive baseline) never re-checks, as most verifiers do not.
    pub fn retry_later(self: &Arc<Self>, mut pending: Pending) -> Option<Pending> {
        if self.strategy == Strategy::PerAddress {
            return Some(pending);
        }
        let engine = &self.ctx.config.engine;
        let since = *pending.greylisted_since.get_or_insert_with(Instant::now);
        let Some(delay) = engine
            .greylist_schedule
            .get(pending.greylist_tries)
            .copied()
        else {
            return Some(pending);
        };
        let waited = since.elapsed().as_secs_f64();
        if engine.greylist_max_wait <= 0.0 || waited + delay > engine.greylist_max_wait {
            return Some(pending);
        }
        pending.greylist_tries += 1;
        tracing::info!(
            "{}: greylisted; re-check {} in {delay:.0} s",
            crate::text::terminal_safe(&pending.prepared.report.address),
            pending.greylist_tries
        );
        // A parked address takes no room in the admission window while it waits.
        pending.ticket = None;
        let domain = self.domain_for(&pending);
        domain.waiting_rechecks(1);
        let scheduler = self.clone();
        tokio::spawn(async move {
            let emit = pending.emit.clone();
            emit.stage(super::event::Stage::Greylisted(delay.ceil() as u64))
                .await;
            emit.info(format!(
                "greylisted: checking again in {delay:.0} s (re-check {} of {})",
                pending.greylist_tries,
                scheduler.ctx.config.engine.greylist_schedule.len()
            ))
            .await;
            tokio::time::sleep(Duration::from_secs_f64(delay)).await;
            domain.waiting_rechecks(-1);
            scheduler.enqueue(pending);
        });
        None
    }

    /// Whether new sessions are held.
    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// Waits while paused.
    pub async fn wait_unpaused(&self) {
        let mut paused = self.paused.clone();
        while *paused.borrow_and_update() {
            if paused.changed().await.is_err() {
                break;
            }
        }
    }
}

/// Ends a pending address with a decision and sends its report.
pub async fn complete(pending: Pending, decision: Decision, facts: Option<SmtpFacts>) {
    let Pending {
        emit,
        prepared,
        ticket,
        ..
    } = pending;
    let mut report = prepared.report;
    apply_decision(&mut report, facts, decision);
    let report = finish(report, prepared.started);
    emit.send(EventKind::Finished(Box::new(report))).await;
    drop(ticket);
}

/// Completes an address, or schedules a greylisting re-check for it.
pub async fn settle(
    scheduler: &Arc<Scheduler>,
    pending: Pending,
    decision: Decision,
    facts: Option<SmtpFacts>,
) {
    let mut decision = decision;
    let pending = if decision.reason == Reason::Greylisted {
        let Some(pending) = scheduler.retry_later(pending) else {
            return;
        };
        if pending.greylist_tries > 0 {
            decision.detail = format!(
                "{} (still greylisted after {} re-checks)",
                decision.detail, pending.greylist_tries
            );
        }
        pending
    } else {
        pending
    };
    complete(pending, decision, facts).await;
}
