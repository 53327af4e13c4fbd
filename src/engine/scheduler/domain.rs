//! One domain's queue of addresses, its workers and its catch-all answer.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::Pending;
use crate::engine::judge::verdict::MxRecord;
use crate::engine::knowledge::providers::Provider;

struct Queue {
    pending: VecDeque<Pending>,
    workers: usize,
}

/// RCPT answers a domain gave so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct Answers {
    /// RCPTs answered.
    pub answered: u64,
    /// Of those, refused (4xx or 5xx).
    pub refused: u64,
}

/// Sessions that `left` addresses will take, in thousandths: each session may take
/// `per_session` RCPTs and `rejected_per_session` refusals, and the share refused so far
/// (with a prior of one in four while few answers are in) says which limit comes first.
pub fn sessions_left(
    left: usize,
    answers: Answers,
    per_session: usize,
    rejected_per_session: usize,
) -> u64 {
    let refusal_rate = (answers.refused as f64 + 1.0) / (answers.answered as f64 + 4.0);
    let left = left as f64;
    let sessions = (left / per_session.max(1) as f64)
        .max(left * refusal_rate / rejected_per_session.max(1) as f64);
    (sessions * 1000.0) as u64
}

/// A domain being verified.
pub struct Domain {
    /// Its name (A-label).
    pub name: String,
    /// Its MX hosts in order.
    pub hosts: Vec<MxRecord>,
    /// Who runs them, when a known provider does: its rules shape the sessions.
    pub provider: Option<Arc<Provider>>,
    /// Whether it accepts any address: probed once, by the first session with an accepted RCPT.
    pub catch_all: OnceCell<Option<bool>>,
    queue: Mutex<Queue>,
    answered: AtomicU64,
    refused: AtomicU64,
    rechecks_waiting: AtomicI64,
    failed_ip: Mutex<Option<std::net::IpAddr>>,
}

impl Domain {
    /// An empty domain.
    pub fn new(name: String, hosts: Vec<MxRecord>, provider: Option<Arc<Provider>>) -> Domain {
        Domain {
            name,
            hosts,
            provider,
            catch_all: OnceCell::new(),
            queue: Mutex::new(Queue {
                pending: VecDeque::new(),
                workers: 0,
            }),
            answered: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            rechecks_waiting: AtomicI64::new(0),
            failed_ip: Mutex::new(None),
        }
    }

    /// Counts RCPT answers, to estimate how many sessions the rest will take.
    pub fn record_answers(&self, answered: usize, refused: usize) {
        self.answered.fetch_add(answered as u64, Ordering::Relaxed);
        self.refused.fetch_add(refused as u64, Ordering::Relaxed);
    }

    /// Remembers the server IP whose last session for this domain failed (None: it answered),
    /// so the next session waits out that host's backoff before it takes a session slot.
    pub fn set_failed_ip(&self, ip: Option<std::net::IpAddr>) {
        *self.failed_ip.lock().expect("failed ip lock") = ip;
    }

    /// The server IP whose last session for this domain failed, if it did.
    pub fn failed_ip(&self) -> Option<std::net::IpAddr> {
        *self.failed_ip.lock().expect("failed ip lock")
    }

    /// Counts greylisted addresses waiting for their re-check (+1 / -1).
    pub fn waiting_rechecks(&self, delta: i64) {
        self.rechecks_waiting.fetch_add(delta, Ordering::Relaxed);
    }

    /// Sessions the domain still needs (see [`sessions_left`]), from its queue, its waiting
    /// re-checks and its RCPT answers so far. In thousandths, as a gate priority.
    pub fn remaining_work(&self, per_session: usize, rejected_per_session: usize) -> u64 {
        let queued = self.queue.lock().expect("queue lock").pending.len();
        let waiting = self.rechecks_waiting.load(Ordering::Relaxed).max(0) as usize;
        let answers = Answers {
            answered: self.answered.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        };
        sessions_left(queued + waiting, answers, per_session, rejected_per_session)
    }

    /// Adds an address at the back.
    pub fn push_back(&self, pending: Pending) {
        self.queue
            .lock()
            .expect("queue lock")
            .pending
            .push_back(pending);
    }

    /// Puts an address back at the front (its session broke, or the server wanted a new
    /// transaction).
    pub fn push_front(&self, pending: Pending) {
        self.queue
            .lock()
            .expect("queue lock")
            .pending
            .push_front(pending);
    }

    /// Takes up to `n` addresses from the front.
    pub fn take(&self, n: usize) -> Vec<Pending> {
        let mut queue = self.queue.lock().expect("queue lock");
        let n = n.min(queue.pending.len());
        queue.pending.drain(..n).collect()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.lock().expect("queue lock").pending.is_empty()
    }

    /// Takes every queued address.
    pub fn take_all(&self) -> Vec<Pending> {
        self.queue
            .lock()
            .expect("queue lock")
            .pending
            .drain(..)
            .collect()
    }

    /// Counts one more worker if the queue deserves it: one per `per_session` queued
    /// addresses, at most `max`, and always one while anything is queued.
    pub fn claim_worker(&self, max: usize, per_session: usize) -> bool {
        let mut queue = self.queue.lock().expect("queue lock");
        let wanted = queue
            .pending
            .len()
            .div_ceil(per_session.max(1))
            .min(max.max(1));
        if queue.workers < wanted {
            queue.workers += 1;
            true
        } else {
            false
        }
    }

    /// A worker leaves if the queue is empty; returns whether it left.
    pub fn release_worker_if_idle(&self) -> bool {
        let mut queue = self.queue.lock().expect("queue lock");
        if queue.pending.is_empty() {
            queue.workers -= 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(answered: u64, refused: u64) -> Answers {
        Answers { answered, refused }
    }

    #[test]
    fn a_domain_that_refuses_everything_ranks_above_a_larger_one_that_refuses_a_third() {
        let greylisting = sessions_left(400, answers(100, 100), 50, 8);
        let standard = sessions_left(500, answers(100, 30), 50, 8);
        assert!(greylisting > 2 * standard, "{greylisting} vs {standard}");
    }

    #[test]
    fn a_domain_that_accepts_everything_is_bounded_by_the_rcpt_cap() {
        assert_eq!(sessions_left(500, answers(1000, 0), 50, 8), 10_000);
    }

    #[test]
    fn before_any_answer_one_in_four_is_expected_refused() {
        assert_eq!(sessions_left(400, Answers::default(), 50, 8), 12_500);
        assert_eq!(sessions_left(0, Answers::default(), 50, 8), 0);
    }
}
