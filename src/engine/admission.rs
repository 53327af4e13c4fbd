//! Admission: the engine takes any number of submissions but keeps only a bounded window of
//! them in flight (`engine.max_in_flight`). The rest wait as compact entries, a job id and the
//! address, with no task, no emitter and no report, so a million queued rows cost a million
//! small entries rather than a million tasks.
//!
//! One pump task admits entries in submission order while the window has room. An admitted
//! job holds a [`Ticket`]; dropping it (the job finished, or it is parked for a greylisting
//! re-check, which takes no window room while it waits) makes room for the next entry.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::event::JobId;

/// One submission waiting for room in the window.
pub struct Entry {
    /// Its job id, given at submission.
    pub job: JobId,
    /// The address as the user gave it.
    pub address: Box<str>,
    /// Ask the server even when the history has a recent result (a re-check).
    pub fresh: bool,
}

/// The queue and the window's occupancy.
pub struct Admission {
    queue: Mutex<VecDeque<Entry>>,
    in_flight: AtomicUsize,
    window: usize,
    wake: Notify,
    closed: AtomicBool,
}

/// A job's place in the window; dropping it frees the place.
pub struct Ticket(Arc<Admission>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.wake.notify_one();
    }
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticket")
    }
}

impl Admission {
    /// An empty queue with room for `window` jobs in flight (at least 1).
    pub fn new(window: usize) -> Arc<Admission> {
        Arc::new(Admission {
            queue: Mutex::new(VecDeque::new()),
            in_flight: AtomicUsize::new(0),
            window: window.max(1),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        })
    }

    /// Queues a submission.
    pub fn push(&self, entry: Entry) {
        self.queue.lock().expect("admission lock").push_back(entry);
        self.wake.notify_one();
    }

    /// No more submissions will come: the pump ends once the queue is empty.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Jobs admitted and not yet finished or parked.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Submissions waiting for room.
    pub fn queued(&self) -> usize {
        self.queue.lock().expect("admission lock").len()
    }

    /// The next entry and its ticket, if the window has room and the queue an entry.
    fn admit_one(self: &Arc<Self>) -> Option<(Entry, Ticket)> {
        if self.in_flight.load(Ordering::Acquire) >= self.window {
            return None;
        }
        let entry = self.queue.lock().expect("admission lock").pop_front()?;
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Some((entry, Ticket(self.clone())))
    }

    /// Admits entries while there is room, starting each with `start`, until the queue is
    /// closed and empty.
    pub async fn pump(self: Arc<Self>, mut start: impl FnMut(Entry, Ticket)) {
        loop {
            while let Some((entry, ticket)) = self.admit_one() {
                start(entry, ticket);
            }
            let closed = self.closed.load(Ordering::Acquire);
            if closed && self.queue.lock().expect("admission lock").is_empty() {
                return;
            }
            self.wake.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u64) -> Entry {
        Entry {
            fresh: false,
            job: JobId(n),
            address: format!("user{n}@example.test").into(),
        }
    }

    #[tokio::test]
    async fn at_most_the_window_is_admitted_and_a_dropped_ticket_admits_the_next() {
        let admission = Admission::new(3);
        for n in 0..10 {
            admission.push(entry(n));
        }
        admission.close();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let pump = tokio::spawn(admission.clone().pump(move |entry, ticket| {
            tx.send((entry.job, ticket)).unwrap();
        }));
        let mut seen = Vec::new();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(rx.recv().await.unwrap());
        }
        tokio::task::yield_now().await;
        assert!(rx.try_recv().is_err(), "a fourth job waits for room");
        assert_eq!(admission.in_flight(), 3);
        assert_eq!(admission.queued(), 7);
        while !held.is_empty() {
            let (job, ticket) = held.remove(0);
            seen.push(job.0);
            drop(ticket);
            if seen.len() + held.len() < 10 {
                held.push(rx.recv().await.unwrap());
            }
            assert!(admission.in_flight() <= 3);
        }
        assert_eq!(seen, (0..10).collect::<Vec<_>>(), "in submission order");
        pump.await.unwrap();
    }

    #[tokio::test]
    async fn the_pump_ends_only_when_closed_and_empty() {
        let admission = Admission::new(2);
        let pump = tokio::spawn(admission.clone().pump(|_, _| {}));
        tokio::task::yield_now().await;
        assert!(!pump.is_finished(), "open: more may come");
        admission.push(entry(1));
        admission.close();
        tokio::time::timeout(std::time::Duration::from_secs(5), pump)
            .await
            .expect("the pump ends")
            .unwrap();
    }
}
