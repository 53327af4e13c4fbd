//! A counting gate whose waiters are served by priority instead of arrival: the global session
//! limit goes first to the domains with the most work left, so the slowest domain (the one that
//! decides when a list is done) is never starved by quick ones.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

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
    priority: u64,
    seq: u64,
    grant: oneshot::Sender<()>,
}

/// A held permit; dropping it passes it to the best waiter.
pub struct GatePermit {
    gate: Arc<PriorityGate>,
}

impl Drop for GatePermit {
    fn drop(&mut self) {
        self.gate.release();
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
                self.gate.release();
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
    pub async fn acquire(self: &Arc<Self>, priority: u64) -> GatePermit {
        let receiver = {
            let mut inner = self.inner.lock().expect("gate lock");
            if inner.available > 0 && inner.waiters.is_empty() {
                inner.available -= 1;
                return GatePermit { gate: self.clone() };
            }
            let (grant, receiver) = oneshot::channel();
            let seq = inner.next_seq;
            inner.next_seq += 1;
            inner.waiters.push(Waiter {
                priority,
                seq,
                grant,
            });
            receiver
        };
        let mut ticket = Ticket {
            gate: self.clone(),
            receiver: Some(receiver),
        };
        let receiver = ticket.receiver.as_mut().expect("receiver present");
        let granted = receiver.await.is_ok();
        ticket.receiver = None;
        debug_assert!(granted, "the gate outlives its waiters");
        GatePermit { gate: self.clone() }
    }

    /// Passes a permit to the best live waiter, or returns it to the pool.
    fn release(&self) {
        let mut inner = self.inner.lock().expect("gate lock");
        loop {
            let best = inner
                .waiters
                .iter()
                .enumerate()
                .max_by_key(|(_, w)| (w.priority, std::cmp::Reverse(w.seq)))
                .map(|(i, _)| i);
            match best {
                Some(i) => {
                    let waiter = inner.waiters.swap_remove(i);
                    if waiter.grant.send(()).is_ok() {
                        return;
                    }
                }
                None => {
                    inner.available += 1;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_are_served_by_priority_then_arrival() {
        let gate = PriorityGate::new(1);
        let held = gate.acquire(0).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, priority) in [("low", 1), ("high", 9), ("mid", 5), ("high2", 9)] {
            let gate = gate.clone();
            let order = order.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire(priority).await;
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
    async fn a_cancelled_waiter_does_not_leak_its_permit() {
        let gate = PriorityGate::new(1);
        let held = gate.acquire(0).await;
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move {
                let _permit = gate.acquire(5).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
        waiting.abort();
        let _ = waiting.await;
        drop(held);
        let again = tokio::time::timeout(Duration::from_secs(1), gate.acquire(1)).await;
        assert!(again.is_ok(), "the permit came back");
    }
}
