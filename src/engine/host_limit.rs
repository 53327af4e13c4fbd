//! The per-host session limit, keyed by the IP address a session really connects to: domains
//! whose MX names differ but point at one server (an implicit MX beside the real MX name, a
//! backup MX that is another domain's primary, hosted mail behind many names) share its limit.
//! Every session holds a permit for its IP until it closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most `per_ip` open sessions to any one IP address.
pub struct HostLimit {
    per_ip: usize,
    gates: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

/// Held while a session to one IP is open; dropping it frees the slot.
pub type HostPermit = OwnedSemaphorePermit;

impl HostLimit {
    /// A limit of `per_ip` sessions per address (at least 1).
    pub fn new(per_ip: usize) -> HostLimit {
        HostLimit {
            per_ip: per_ip.max(1),
            gates: Mutex::default(),
        }
    }

    /// A permit for a session to `ip` if one is free now.
    pub fn try_enter(&self, ip: IpAddr) -> Option<HostPermit> {
        self.gate(ip).try_acquire_owned().ok()
    }

    /// Waits for a permit for a session to `ip`.
    pub async fn enter(&self, ip: IpAddr) -> HostPermit {
        self.gate(ip)
            .acquire_owned()
            .await
            .expect("host semaphores are never closed")
    }

    fn gate(&self, ip: IpAddr) -> Arc<Semaphore> {
        self.gates
            .lock()
            .expect("host limit lock")
            .entry(ip)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_ip)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_slots() {
        let limit = HostLimit::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
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

    #[test]
    fn a_limit_of_zero_still_allows_one_session() {
        let limit = HostLimit::new(0);
        let ip: IpAddr = "::1".parse().unwrap();
        let _only = limit.try_enter(ip).expect("one slot");
        assert!(limit.try_enter(ip).is_none());
    }
}
