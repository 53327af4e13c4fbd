//! The first session to a mail server is a trial. Until one session there has had a RCPT
//! answered (any answer but a refusal of us), no second session to that server is opened: so a
//! server that refuses us (a blocklist, missing reverse DNS) costs one session, however many
//! addresses and domains wait for it, and a server we have never spoken to is not met with
//! `per_host` connections at once. Keyed by the IP address sessions really go to.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trial {
    /// A first session is under way.
    Running,
    /// A session had a RCPT answered: any number may open.
    Proven,
}

/// The trial state of every server of one engine run.
pub struct HostTrials {
    hosts: Mutex<HashMap<IpAddr, Trial>>,
    changed: watch::Sender<u64>,
}

/// Held by the trial session; dropping it before [`HostTrials::proven`] lets the next session
/// be the trial.
pub struct TrialGuard {
    trials: Arc<HostTrials>,
    ip: IpAddr,
}

/// Whether a session may open now.
pub enum Entry {
    /// Yes: as the trial (holding the guard) or to a proven server (None).
    Open(Option<TrialGuard>),
    /// Not yet: a trial is under way; the receiver changes when it ends.
    Wait(watch::Receiver<u64>),
}

impl HostTrials {
    /// No server tried yet.
    pub fn new() -> Arc<HostTrials> {
        Arc::new(HostTrials {
            hosts: Mutex::default(),
            changed: watch::channel(0).0,
        })
    }

    /// Whether a session to `ip` may open now.
    pub fn try_enter(self: &Arc<Self>, ip: IpAddr) -> Entry {
        let mut hosts = self.hosts.lock().expect("host trials lock");
        match hosts.get(&ip) {
            Some(Trial::Proven) => Entry::Open(None),
            Some(Trial::Running) => Entry::Wait(self.changed.subscribe()),
            None => {
                hosts.insert(ip, Trial::Running);
                Entry::Open(Some(TrialGuard {
                    trials: self.clone(),
                    ip,
                }))
            }
        }
    }

    /// A session to `ip` had a RCPT answered: the server takes sessions.
    pub fn proven(&self, ip: IpAddr) {
        let before = self
            .hosts
            .lock()
            .expect("host trials lock")
            .insert(ip, Trial::Proven);
        if before != Some(Trial::Proven) {
            self.changed.send_modify(|n| *n += 1);
        }
    }
}

impl Drop for TrialGuard {
    fn drop(&mut self) {
        let mut hosts = self.trials.hosts.lock().expect("host trials lock");
        if hosts.get(&self.ip) == Some(&Trial::Running) {
            hosts.remove(&self.ip);
        }
        drop(hosts);
        self.trials.changed.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip() -> IpAddr {
        "192.0.2.1".parse().unwrap()
    }

    #[test]
    fn a_second_session_waits_for_the_first_to_prove_the_server() {
        let trials = HostTrials::new();
        let Entry::Open(Some(guard)) = trials.try_enter(ip()) else {
            panic!("the first session is the trial");
        };
        let Entry::Wait(changed) = trials.try_enter(ip()) else {
            panic!("a second session waits");
        };
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(matches!(trials.try_enter(other), Entry::Open(Some(_))));
        trials.proven(ip());
        assert!(changed.has_changed().unwrap());
        assert!(matches!(trials.try_enter(ip()), Entry::Open(None)));
        drop(guard);
        assert!(
            matches!(trials.try_enter(ip()), Entry::Open(None)),
            "a proven server stays proven"
        );
    }

    #[test]
    fn a_trial_that_ends_unproven_hands_the_trial_on() {
        let trials = HostTrials::new();
        let Entry::Open(Some(guard)) = trials.try_enter(ip()) else {
            panic!("trial");
        };
        let Entry::Wait(changed) = trials.try_enter(ip()) else {
            panic!("wait");
        };
        drop(guard);
        assert!(changed.has_changed().unwrap());
        assert!(matches!(trials.try_enter(ip()), Entry::Open(Some(_))));
    }
}
