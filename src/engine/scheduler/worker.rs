//! A session worker: takes addresses from its domain's queue and hands them to the
//! conversation layer ([`crate::engine::session::rcpts`]) one session at a time, waiting out a
//! failed server's backoff between sessions without holding a session slot.

use std::sync::Arc;

use super::Scheduler;
use super::domain::Domain;
use crate::engine::hosts::health::HostState;
use crate::engine::session::rcpts::session_round;
use crate::engine::session::slot::GlobalSlots;

/// Runs until the domain's queue is empty. Between its sessions the worker keeps its global
/// session slot rather than giving it up: the next session renews it unless another domain now
/// has more work left, and gives it up before any wait for a host (see [`open_session`]).
pub async fn run(scheduler: Arc<Scheduler>, domain: Arc<Domain>) {
    let mut slots = GlobalSlots {
        gate: scheduler.sessions.clone(),
        priority: scheduler.priority(&domain),
        kept: None,
    };
    loop {
        if domain.release_worker_if_idle() {
            return;
        }
        if scheduler.is_paused() {
            slots.release_kept();
            scheduler.wait_unpaused().await;
        }
        if let Some(at) = backoff_deadline(&scheduler, &domain) {
            // The domain's server failed its last session: wait out its backoff without
            // holding a session slot that another domain could use.
            slots.release_kept();
            tokio::time::sleep_until(at).await;
            continue;
        }
        let Some(owner) = domain.take(1).pop() else {
            continue;
        };
        session_round(&scheduler, &domain, owner, &mut slots).await;
        scheduler.spawn_workers(&domain);
    }
}

/// When the domain's server failed its last session and is still in its backoff, its end.
fn backoff_deadline(scheduler: &Scheduler, domain: &Domain) -> Option<tokio::time::Instant> {
    let ip = domain.failed_ip()?;
    match scheduler
        .ctx
        .host_health
        .state(ip, tokio::time::Instant::now())
    {
        HostState::WaitUntil(at) => Some(at),
        HostState::Ready | HostState::GivenUp(..) => None,
    }
}
