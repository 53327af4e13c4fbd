//! The per-host session limit, keyed by the IP address a session really connects to: domains
//! whose MX names differ but point at one server (an implicit MX beside the real MX name, a
//! backup MX that is another domain's primary, hosted mail behind many names) share its limit.
//! Every session holds a permit for its IP until it closes. It is the engine's only per-host
//! gate, and it also spaces connections to one IP by `engine.connect_interval`.
//!
//! The first session to a server is a trial: a server starts with one permit and gets the rest
//! of its `per_host` only once a session there has had a RCPT answered (any answer but a
//! refusal of us, see [`HostLimit::proven`]). So a server that refuses us (a blocklist, missing
//! reverse DNS) costs one session however many addresses and domains wait for it, and a server
//! we have never spoken to is not met with `per_host` connections at once. A trial that ends
//! unproven frees its permit, and the next session is the trial.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// At most `per_ip` open sessions to any one IP address, connections at least `interval`
/// apart.
pub struct HostLimit {
    per_ip: usize,
    interval: Duration,
    gates: Mutex<HashMap<IpAddr, Arc<Gate>>>,
}

struct Gate {
    permits: Arc<Semaphore>,
    /// Whether a session here had a RCPT answered (then all `per_ip` permits exist).
    proven: AtomicBool,
    /// When the next connection may start.
    next_connect: tokio::sync::Mutex<Option<Instant>>,
}

/// Held while a session to one IP is open; dropping it frees the slot.
pub type HostPermit = OwnedSemaphorePermit;

impl HostLimit {
    /// A limit of `per_ip` sessions per address (at least 1), connections `interval` apart.
    pub fn new(per_ip: usize, interval: Duration) -> HostLimit {
        HostLimit {
            per_ip: per_ip.max(1),
            interval,
            gates: Mutex::default(),
        }
    }

    /// A permit for a session to `ip` if one is free now.
    pub fn try_enter(&self, ip: IpAddr) -> Option<HostPermit> {
        self.gate(ip).permits.clone().try_acquire_owned().ok()
    }

    /// Waits for a permit for a session to `ip`.
    pub async fn enter(&self, ip: IpAddr) -> HostPermit {
        self.gate(ip)
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("host semaphores are never closed")
    }

    /// A session to `ip` had a RCPT answered: the server takes sessions, so it gets all its
    /// permits.
    pub fn proven(&self, ip: IpAddr) {
        let gate = self.gate(ip);
        if !gate.proven.swap(true, Ordering::AcqRel) {
            gate.permits.add_permits(self.per_ip - 1);
        }
    }

    /// Whether a session to `ip` has had a RCPT answered.
    pub fn is_proven(&self, ip: IpAddr) -> bool {
        self.gate(ip).proven.load(Ordering::Acquire)
    }

    /// Waits until a connection to `ip` may start (`interval` after the last one began) and
    /// books that start. Holders of a permit call it just before dialling.
    pub async fn pace(&self, ip: IpAddr) {
        if self.interval.is_zero() {
            return;
        }
        let gate = self.gate(ip);
        let mut next = gate.next_connect.lock().await;
        if let Some(at) = *next {
            tokio::time::sleep_until(at).await;
        }
        *next = Some(Instant::now() + self.interval);
    }

    fn gate(&self, ip: IpAddr) -> Arc<Gate> {
        self.gates
            .lock()
            .expect("host limit lock")
            .entry(ip)
            .or_insert_with(|| {
                Arc::new(Gate {
                    permits: Arc::new(Semaphore::new(1)),
                    proven: AtomicBool::new(false),
                    next_connect: tokio::sync::Mutex::new(None),
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_slots() {
        let limit = HostLimit::new(2, Duration::ZERO);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        limit.proven(a);
        let first = limit.try_enter(a).expect("first slot");
        let _second = limit.try_enter(a).expect("second slot");
        assert!(
            limit.try_enter(a).is_none(),
            "a third session to one IP waits"
        );
        assert!(limit.try_enter(b).is_some(), "another IP is not affected");
        drop(first);
        assert!(
            limit.try_enter(a).is_some(),
            "a closed session frees its slot"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn connections_to_one_ip_are_paced_and_other_ips_are_not() {
        let limit = HostLimit::new(2, Duration::from_secs(3));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let start = Instant::now();
        limit.pace(a).await;
        limit.pace(b).await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "first connections go at once"
        );
        limit.pace(a).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        limit.pace(a).await;
        assert_eq!(start.elapsed(), Duration::from_secs(6));
    }

    #[test]
    fn a_second_session_waits_until_the_first_proves_the_server() {
        let limit = HostLimit::new(3, Duration::ZERO);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let trial = limit.try_enter(ip).expect("the first session is the trial");
        assert!(
            limit.try_enter(ip).is_none(),
            "a second waits for the trial"
        );
        assert!(
            limit.try_enter(other).is_some(),
            "another server has its own trial"
        );
        limit.proven(ip);
        limit.proven(ip);
        let second = limit.try_enter(ip).expect("proven: more sessions");
        let third = limit.try_enter(ip).expect("up to per_host");
        assert!(limit.try_enter(ip).is_none(), "never more than per_host");
        drop((trial, second, third));
        assert!(limit.is_proven(ip));
    }

    #[test]
    fn a_trial_that_ends_unproven_hands_the_trial_on() {
        let limit = HostLimit::new(2, Duration::ZERO);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let trial = limit.try_enter(ip).expect("trial");
        drop(trial);
        let next = limit.try_enter(ip).expect("the next session is the trial");
        assert!(limit.try_enter(ip).is_none(), "still one at a time");
        drop(next);
        assert!(!limit.is_proven(ip));
    }

    #[test]
    fn a_limit_of_zero_still_allows_one_session() {
        let limit = HostLimit::new(0, Duration::ZERO);
        let ip: IpAddr = "::1".parse().unwrap();
        let _only = limit.try_enter(ip).expect("one slot");
        assert!(limit.try_enter(ip).is_none());
    }
}
