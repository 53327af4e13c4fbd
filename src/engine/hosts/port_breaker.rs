//! The port-25 circuit breaker: tells "outbound port 25 is blocked from here" apart from "these
//! domains' servers are down", within about one connect timeout.
//!
//! Most home, office and cloud networks block outbound port 25. Without the breaker every
//! address would wait out its own connect timeout and end `unknown/timeout` with no word of
//! why. The rule: once connects to `engine.port_block_after` distinct server IPs, of different
//! domains, have failed at the TCP level (timeout, refused, unreachable) since the last connect
//! that succeeded, the breaker dials the MX hosts of `engine.probe_domains` (large providers).
//! If one of them answers, the network is fine and the failures were the domains' own: the
//! window starts again (and the answer holds for a minute). If none answers, the breaker
//! trips: dialling stops, connects in flight are abandoned, and every address still waiting is
//! `unknown/port_blocked` with a detail saying what was seen and what to do.
//!
//! One connect that succeeds (or a check host that answers) disarms the breaker: the failures
//! after it are those domains' own. A run that began well and then loses the network is caught
//! by the same rule once nothing has connected for [`REARM_AFTER`].
//!
//! So that the verdict comes within one connect timeout, the check hosts are dialled early as
//! well: as soon as a dial has waited [`EARLY_PROBE_AFTER`] while nothing has connected yet in
//! this run.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::engine::dns::MailHosts;
use crate::engine::net::Net;

/// A dial still waiting after this long, with nothing connected yet in the run, starts the
/// check of the providers' hosts.
pub const EARLY_PROBE_AFTER: Duration = Duration::from_secs(1);

/// After this long without a connect that succeeded, the breaker is armed again.
pub const REARM_AFTER: Duration = Duration::from_secs(300);

/// A connect that failed at the TCP level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialFailure {
    /// The server address dialled.
    pub ip: IpAddr,
    /// The domain it was dialled for.
    pub domain: String,
    /// Timed out (rather than refused or unreachable).
    pub timed_out: bool,
}

/// Whether `failures` suggest a blocked port: at least `threshold` distinct IPs of at least
/// `threshold` distinct domains. A threshold of 0 never does.
pub fn suspects_block(failures: &[DialFailure], threshold: usize) -> bool {
    if threshold == 0 {
        return false;
    }
    let ips: HashSet<IpAddr> = failures.iter().map(|f| f.ip).collect();
    let domains: HashSet<&str> = failures.iter().map(|f| f.domain.as_str()).collect();
    ips.len().min(domains.len()) >= threshold
}

/// What the failures were, in words: "3 connects to 3 different mail servers timed out, none
/// succeeded".
pub fn what_was_seen(failures: &[DialFailure]) -> String {
    let servers: HashSet<IpAddr> = failures.iter().map(|f| f.ip).collect();
    let timed_out = failures.iter().filter(|f| f.timed_out).count();
    let how = if timed_out == failures.len() {
        "timed out".to_string()
    } else if timed_out == 0 {
        "were refused or unreachable".to_string()
    } else {
        format!(
            "failed ({timed_out} timed out, {} refused or unreachable)",
            failures.len() - timed_out
        )
    };
    let connects = if failures.len() == 1 {
        "1 connect".to_string()
    } else {
        format!("{} connects", failures.len())
    };
    format!(
        "{connects} to {} different mail servers {how}, none succeeded",
        servers.len()
    )
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Confirmation {
    #[default]
    NotStarted,
    Running,
    /// None answered: what was seen.
    Unreachable(String),
}

#[derive(Default)]
struct State {
    /// TCP-level failures since the breaker was last armed.
    failures: Vec<DialFailure>,
    /// When a connect (or a check host) last succeeded.
    last_success: Option<Instant>,
    confirmation: Confirmation,
    tripped: Option<String>,
    /// Dials under way: a failure waits for their outcome before it is final.
    in_flight: usize,
}

impl State {
    /// Armed: nothing has connected in this run, or not for [`REARM_AFTER`].
    fn armed(&self, now: Instant) -> bool {
        self.last_success
            .is_none_or(|at| now.saturating_duration_since(at) >= REARM_AFTER)
    }

    fn succeeded(&mut self, now: Instant) {
        self.last_success = Some(now);
        self.failures.clear();
        if self.confirmation != Confirmation::Running {
            self.confirmation = Confirmation::NotStarted;
        }
    }
}

/// Dials the check hosts: the first MX host of each probe domain.
#[derive(Clone)]
struct Probe {
    net: Net,
    domains: Vec<String>,
    timeout: Duration,
}

impl Probe {
    /// Ok when one check host accepted a TCP connection; else what each did.
    async fn run(&self) -> Result<(), String> {
        if self.domains.is_empty() {
            return Err("no check hosts are configured (engine.probe_domains)".into());
        }
        let mut tries: FuturesUnordered<_> =
            self.domains.iter().map(|d| self.dial_domain(d)).collect();
        let mut seen = Vec::new();
        while let Some(result) = tries.next().await {
            match result {
                Ok(()) => return Ok(()),
                Err(e) => seen.push(e),
            }
        }
        Err(seen.join("; "))
    }

    async fn dial_domain(&self, domain: &str) -> Result<(), String> {
        let host = match self.net.dns.mail_hosts(domain).await {
            MailHosts::Hosts(hosts) if !hosts.is_empty() => hosts[0].host.clone(),
            other => return Err(format!("{domain}: no MX host to dial ({other:?})")),
        };
        let ips = self
            .net
            .dns
            .host_ips(&host)
            .await
            .map_err(|e| format!("{host}: {e}"))?;
        let ip = crate::engine::session::open::reachable_ip(&ips, self.net.dialer.bind())
            .ok_or_else(|| format!("{host}: no address of our IP version"))?;
        match self.net.connect(&host, ip, self.timeout).await {
            Ok(_connected) => Ok(()),
            Err(e) => Err(format!("{host}[{ip}]: {e}")),
        }
    }
}

/// The breaker of one engine run.
pub struct PortBreaker {
    threshold: usize,
    probe: Probe,
    state: Mutex<State>,
    changed: watch::Sender<u64>,
}

impl PortBreaker {
    /// A breaker tripping after `threshold` failed servers (0: never), checking with the MX
    /// hosts of `probe_domains` over `net`, each dial within `timeout`.
    pub fn new(
        threshold: usize,
        net: Net,
        probe_domains: Vec<String>,
        timeout: Duration,
    ) -> Arc<PortBreaker> {
        Arc::new(PortBreaker {
            threshold,
            probe: Probe {
                net,
                domains: probe_domains,
                timeout,
            },
            state: Mutex::default(),
            changed: watch::channel(0).0,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("port breaker lock")
    }

    fn notify(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    /// The detail every waiting address gets, once the breaker has tripped.
    pub fn tripped(&self) -> Option<String> {
        self.state().tripped.clone()
    }

    /// Resolves with the detail when the breaker trips (never, if it does not).
    pub async fn wait_tripped(&self) -> String {
        let mut changed = self.changed.subscribe();
        loop {
            if let Some(detail) = self.tripped() {
                return detail;
            }
            if changed.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// A connect succeeded: the network works; the breaker is disarmed for [`REARM_AFTER`].
    pub fn connect_succeeded(&self) {
        self.state().succeeded(Instant::now());
        self.notify();
    }

    /// A dial starts; it counts as under way until the guard is dropped.
    pub fn dial_started(self: &Arc<Self>) -> DialGuard {
        self.state().in_flight += 1;
        DialGuard(self.clone())
    }

    /// A dial has waited [`EARLY_PROBE_AFTER`]: if the breaker is armed (nothing has
    /// connected lately), dial the check hosts now, so their answer is in when the failures
    /// come.
    pub fn dial_is_slow(self: &Arc<Self>) {
        if self.threshold == 0 || !self.state().armed(Instant::now()) {
            return;
        }
        self.start_confirmation();
    }

    /// A connect failed at the TCP level (its [`DialGuard`] already dropped). While the
    /// breaker is armed, the failure is not final until the check hosts have answered and the
    /// dials under way have ended: a blocked port makes them all fail together. Returns the
    /// detail if the breaker tripped.
    pub async fn dial_failed(self: &Arc<Self>, failure: DialFailure) -> Option<String> {
        if self.threshold == 0 {
            return None;
        }
        {
            let mut state = self.state();
            if let Some(detail) = &state.tripped {
                return Some(detail.clone());
            }
            if !state.armed(Instant::now()) {
                return None;
            }
            if !state.failures.iter().any(|f| f.ip == failure.ip) {
                state.failures.push(failure);
            }
        }
        let mut changed = self.changed.subscribe();
        self.start_confirmation();
        loop {
            self.evaluate();
            {
                let state = self.state();
                if let Some(detail) = &state.tripped {
                    return Some(detail.clone());
                }
                let undecided = state.confirmation == Confirmation::Running || state.in_flight > 0;
                if !state.armed(Instant::now()) || !undecided {
                    return None;
                }
            }
            if changed.changed().await.is_err() {
                return None;
            }
        }
    }

    /// Starts dialling the check hosts unless that is running or has been answered.
    fn start_confirmation(self: &Arc<Self>) {
        {
            let mut state = self.state();
            if state.confirmation != Confirmation::NotStarted {
                return;
            }
            state.confirmation = Confirmation::Running;
        }
        let breaker = self.clone();
        tokio::spawn(async move {
            let result = breaker.probe.run().await;
            {
                let mut state = breaker.state();
                state.confirmation = Confirmation::NotStarted;
                match result {
                    // The network works: the failures so far were the domains' own.
                    Ok(()) => state.succeeded(Instant::now()),
                    Err(seen) => state.confirmation = Confirmation::Unreachable(seen),
                }
            }
            breaker.evaluate();
            breaker.notify();
        });
    }

    /// Trips when the check hosts did not answer and the failures suggest a block.
    fn evaluate(&self) {
        let mut state = self.state();
        if state.tripped.is_some() || !suspects_block(&state.failures, self.threshold) {
            return;
        }
        if let Confirmation::Unreachable(_) = &state.confirmation {
            let domains = self.probe.domains.join(", ");
            let detail = format!(
                "outbound port 25 looks blocked from here: {}, and neither did the MX hosts of {domains}. \
                 Run from a host whose provider allows outbound port 25, or use --proxy \
                 socks5://HOST:PORT, or --server with a relay you control",
                what_was_seen(&state.failures)
            );
            tracing::warn!("{detail}");
            state.tripped = Some(detail);
            drop(state);
            self.notify();
        }
    }
}

/// A dial under way (see [`PortBreaker::dial_started`]).
pub struct DialGuard(Arc<PortBreaker>);

impl Drop for DialGuard {
    fn drop(&mut self) {
        {
            let mut state = self.0.state();
            state.in_flight = state.in_flight.saturating_sub(1);
        }
        self.0.notify();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(ip: &str, domain: &str) -> DialFailure {
        DialFailure {
            ip: ip.parse().unwrap(),
            domain: domain.into(),
            timed_out: true,
        }
    }

    #[test]
    fn the_rule_wants_distinct_servers_of_distinct_domains() {
        let three = [
            failure("192.0.2.1", "a.test"),
            failure("192.0.2.2", "b.test"),
            failure("192.0.2.3", "c.test"),
        ];
        assert!(suspects_block(&three, 3));
        assert!(!suspects_block(&three[..2], 3));
        let one_domain = [
            failure("192.0.2.1", "a.test"),
            failure("192.0.2.2", "a.test"),
            failure("192.0.2.3", "a.test"),
        ];
        assert!(
            !suspects_block(&one_domain, 3),
            "one domain's dead servers are its own problem"
        );
        let one_server = [
            failure("192.0.2.1", "a.test"),
            failure("192.0.2.1", "b.test"),
            failure("192.0.2.1", "c.test"),
        ];
        assert!(!suspects_block(&one_server, 3), "one shared server is down");
        assert!(!suspects_block(&three, 0), "0 turns the breaker off");
    }

    #[test]
    fn the_detail_says_what_was_seen() {
        let mut seen = vec![
            failure("192.0.2.1", "a.test"),
            failure("192.0.2.2", "b.test"),
            failure("192.0.2.3", "c.test"),
        ];
        assert_eq!(
            what_was_seen(&seen),
            "3 connects to 3 different mail servers timed out, none succeeded"
        );
        seen[0].timed_out = false;
        assert_eq!(
            what_was_seen(&seen),
            "3 connects to 3 different mail servers failed (2 timed out, 1 refused or unreachable), none succeeded"
        );
    }

    /// A breaker whose check hosts are unreachable (no probe domains) or reachable (a loopback
    /// listener as the probe domain's host is more than a unit test needs: an empty list
    /// stands for "none answered").
    fn breaker(threshold: usize) -> Arc<PortBreaker> {
        let net = Net {
            dns: crate::engine::dns::Dns::new(
                &crate::engine::dns::DnsServers::UdpOnly(vec!["127.0.0.1:9".parse().unwrap()]),
                Duration::from_millis(100),
            )
            .unwrap(),
            dialer: crate::engine::net::Dialer::Direct {
                port: 25,
                bind: None,
            },
            proxy: None,
        };
        PortBreaker::new(threshold, net, Vec::new(), Duration::from_millis(100))
    }

    #[tokio::test(start_paused = true)]
    async fn it_trips_on_the_third_server_when_no_check_host_answers() {
        let breaker = breaker(3);
        assert_eq!(
            breaker.dial_failed(failure("192.0.2.1", "a.test")).await,
            None
        );
        assert_eq!(
            breaker.dial_failed(failure("192.0.2.2", "b.test")).await,
            None
        );
        let detail = breaker
            .dial_failed(failure("192.0.2.3", "c.test"))
            .await
            .expect("tripped");
        assert!(detail.contains("3 connects to 3 different mail servers timed out"));
        assert!(detail.contains("--proxy"), "{detail}");
        assert_eq!(breaker.tripped(), Some(detail.clone()));
        assert_eq!(breaker.wait_tripped().await, detail);
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_disarms_it_until_nothing_has_connected_for_a_while() {
        let breaker = breaker(3);
        breaker.dial_failed(failure("192.0.2.1", "a.test")).await;
        breaker.dial_failed(failure("192.0.2.2", "b.test")).await;
        breaker.connect_succeeded();
        for i in 3..=20 {
            let ip = format!("192.0.2.{i}");
            assert_eq!(
                breaker
                    .dial_failed(failure(&ip, &format!("d{i}.test")))
                    .await,
                None,
                "dead domains after a success are their own problem"
            );
        }
        tokio::time::advance(REARM_AFTER).await;
        breaker.dial_failed(failure("192.0.2.31", "x.test")).await;
        breaker.dial_failed(failure("192.0.2.32", "y.test")).await;
        assert!(
            breaker
                .dial_failed(failure("192.0.2.33", "z.test"))
                .await
                .is_some(),
            "a run that loses the network later trips on the same rule"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_threshold_of_zero_never_trips() {
        let breaker = breaker(0);
        for i in 1..=10 {
            let ip = format!("192.0.2.{i}");
            assert_eq!(
                breaker
                    .dial_failed(failure(&ip, &format!("d{i}.test")))
                    .await,
                None
            );
        }
        breaker.dial_is_slow();
        assert_eq!(breaker.tripped(), None);
    }
}
