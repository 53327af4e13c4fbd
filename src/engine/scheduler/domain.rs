//! One domain's queue of addresses, its workers and its catch-all answer.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::OnceCell;

use super::Pending;
use crate::engine::verdict::MxRecord;

struct Queue {
    pending: VecDeque<Pending>,
    workers: usize,
}

/// A domain being verified.
pub struct Domain {
    /// Its name (A-label).
    pub name: String,
    /// Its MX hosts in order.
    pub hosts: Vec<MxRecord>,
    /// Whether it accepts any address: probed once, by the first session with an accepted RCPT.
    pub catch_all: OnceCell<Option<bool>>,
    queue: Mutex<Queue>,
}

impl Domain {
    /// An empty domain.
    pub fn new(name: String, hosts: Vec<MxRecord>) -> Domain {
        Domain {
            name,
            hosts,
            catch_all: OnceCell::new(),
            queue: Mutex::new(Queue {
                pending: VecDeque::new(),
                workers: 0,
            }),
        }
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
