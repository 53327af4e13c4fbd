//! A counting gate whose waiters are served by priority instead of arrival: the global session
//! limit goes first to the domains with the most work left, so the slowest domain (the one that
//! decides when a list is done) is never starved by quick ones.
//!
//! A waiter's priority is a function, asked when a permit is handed out (a domain's remaining
//! work shrinks while it waits). A holder that wants another turn renews its permit: it keeps
//! it unless a waiter's priority is now higher, instead of queueing behind everyone.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// A waiter's priority, asked each time a permit is handed out.
pub type Priority = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Hands out up to N permits, highest priority first (arrival order among equals).
pub struct PriorityGate {
    inner: Mutex<Inner>,
}

struct Inner {
    available: usize,
    next_seq: u64,
    waiters: Vec<Waiter>,
}

struct Waiter {
    priority: Priority,
    seq: u64,
    grant: oneshot::Sender<()>,
}

impl Inner {
    /// The waiter to serve next and its priority now: highest priority, earliest arrival among
    /// equals.
    fn best(&self) -> Option<(usize, u64)> {
        self.waiters
            .iter()
            .enumerate()
            .map(|(i, w)| (i, (w.priority)(), w.seq))
            .max_by_key(|&(_, priority, seq)| (priority, std::cmp::Reverse(seq)))
            .map(|(i, priority, _)| (i, priority))
    }

    fn push(&mut self, priority: Priority) -> oneshot::Receiver<()> {
        let (grant, receiver) = oneshot::channel();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.waiters.push(Waiter {
            priority,
            seq,
            grant,
        });
        receiver
    }

    /// Passes a free permit to the best live waiter, or returns it to the pool.
    fn pass_on(&mut self) {
        while let Some((i, _)) = self.best() {
            let waiter = self.waiters.swap_remove(i);
            if waiter.grant.send(()).is_ok() {
                return;
            }
        }
        self.available += 1;
    }
}

/// A held permit; dropping it passes it to the best waiter.
pub struct GatePermit {
    gate: Arc<PriorityGate>,
    /// False once the permit was handed on by `renew`.
    held: bool,
}

impl Drop for GatePermit {
    fn drop(&mut self) {
        if self.held {
            self.gate.inner.lock().expect("gate lock").pass_on();
        }
    }
}

impl GatePermit {
    /// Another turn for the holder: keeps the permit unless a waiter's priority is now higher
    /// than `priority`; then the permit goes to that waiter and the holder waits like any other.
    pub async fn renew(mut self, priority: Priority) -> GatePermit {
        let gate = self.gate.clone();
        let receiver = {
            let mut inner = gate.inner.lock().expect("gate lock");
            let own = priority();
            if inner.best().is_none_or(|(_, best)| best <= own) {
                return self;
            }
            let receiver = inner.push(priority);
            self.held = false;
            inner.pass_on();
            receiver
        };
        drop(self);
        gate.wait(receiver).await
    }
}

/// A waiter's ticket: if the waiting future is dropped after its permit was granted, the permit
/// is passed on instead of lost.
struct Ticket {
    gate: Arc<PriorityGate>,
    receiver: Option<oneshot::Receiver<()>>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(mut receiver) = self.receiver.take() {
            receiver.close();
            if receiver.try_recv().is_ok() {
                self.gate.inner.lock().expect("gate lock").pass_on();
            }
        }
    }
}

impl PriorityGate {
    /// A gate with `permits` permits.
    pub fn new(permits: usize) -> Arc<PriorityGate> {
        Arc::new(PriorityGate {
            inner: Mutex::new(Inner {
                available: permits,
                next_seq: 0,
                waiters: Vec::new(),
            }),
        })
    }

    /// Waits for a permit; higher `priority` is served first.
    pub async fn acquire(self: &Arc<Self>, priority: Priority) -> GatePermit {
        let receiver = {
            let mut inner = self.inner.lock().expect("gate lock");
            if inner.available > 0 && inner.waiters.is_empty() {
                inner.available -= 1;
                return GatePermit {
                    gate: self.clone(),
                    held: true,
                };
            }
            inner.push(priority)
        };
        self.wait(receiver).await
    }

    async fn wait(self: &Arc<Self>, receiver: oneshot::Receiver<()>) -> GatePermit {
        let mut ticket = Ticket {
            gate: self.clone(),
            receiver: Some(receiver),
        };
        let receiver = ticket.receiver.as_mut().expect("receiver present");
        let granted = receiver.await.is_ok();
        ticket.receiver = None;
        debug_assert!(granted, "the gate outlives its waiters");
        GatePermit {
            gate: self.clone(),
            held: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    fn fixed(priority: u64) -> Priority {
        Arc::new(move || priority)
    }

    #[tokio::test]
    async fn waiters_are_served_by_priority_then_arrival() {
        let gate = PriorityGate::new(1);
        let held = gate.acquire(fixed(0)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, priority) in [("low", 1), ("high", 9), ("mid", 5), ("high2", 9)] {
            let gate = gate.clone();
            let order = order.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire(fixed(priority)).await;
                order.lock().unwrap().push(name);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(held);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["high", "high2", "mid", "low"]);
    }

    #[tokio::test]
    async fn priorities_are_asked_when_the_permit_is_handed_out() {
        let gate = PriorityGate::new(1);
        let held = gate.acquire(fixed(0)).await;
        let shrinking = Arc::new(AtomicU64::new(9));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        let priorities: [(&str, Priority); 2] = [
            ("was first", {
                let shrinking = shrinking.clone();
                Arc::new(move || shrinking.load(Ordering::Relaxed))
            }),
            ("steady", fixed(5)),
        ];
        for (name, priority) in priorities {
            let gate = gate.clone();
            let order = order.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire(priority).await;
                order.lock().unwrap().push(name);
            }));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        shrinking.store(1, Ordering::Relaxed);
        drop(held);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["steady", "was first"]);
    }

    #[tokio::test]
    async fn renewing_keeps_the_permit_unless_a_waiter_ranks_higher() {
        let gate = PriorityGate::new(1);
        let held = gate.acquire(fixed(5)).await;
        let low = tokio::spawn({
            let gate = gate.clone();
            async move {
                let _permit = gate.acquire(fixed(3)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
        let kept = tokio::time::timeout(Duration::from_millis(50), held.renew(fixed(5))).await;
        let held = kept.expect("a lower waiter does not take the permit");
        assert!(!low.is_finished());
        let renewed = tokio::spawn(async move {
            let _permit = held.renew(fixed(1)).await;
        });
        low.await.unwrap();
        renewed.await.unwrap();
        let again = tokio::time::timeout(Duration::from_secs(1), gate.acquire(fixed(0))).await;
        assert!(again.is_ok(), "every permit came back");
    }

    #[tokio::test]
    async fn a_cancelled_waiter_does_not_leak_its_permit() {
        let gate = PriorityGate::new(1);
        let held = gate.acquire(fixed(0)).await;
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move {
                let _permit = gate.acquire(fixed(5)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
        waiting.abort();
        let _ = waiting.await;
        drop(held);
        let again = tokio::time::timeout(Duration::from_secs(1), gate.acquire(fixed(1))).await;
        assert!(again.is_ok(), "the permit came back");
    }
}
