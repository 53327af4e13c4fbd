//! The retry budget of each mail server, keyed by the IP address sessions really go to.
//!
//! A session that ends without an answer (a `421`, a session that breaks, a reply that is not
//! SMTP, a failed TLS handshake) is a failure of its host. After a failure the host is not
//! dialled again for `engine.retry_backoff` seconds, doubled for each further failure in a row,
//! with ±25 % jitter, and never sooner than `engine.connect_interval`; after
//! `engine.host_failures_max` failures in a row it is given up on for the run. A session that
//! gets any real answer resets the count. So a broken or hostile server costs at most
//! `host_failures_max` sessions in a row, spread over seconds, however long the list.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use rand::RngExt;
use tokio::time::Instant;

use crate::config::EngineConfig;
use crate::engine::judge::verdict::Reason;

/// The longest wait between two tries of one host.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Whether a host may be dialled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostState {
    /// Now.
    Ready,
    /// Not before this instant (it failed recently).
    WaitUntil(Instant),
    /// Never again in this run: the last failure's reason, and a detail saying why.
    GivenUp(Reason, String),
}

/// What a failure did to its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// The host is tried again after this wait.
    Backoff(Duration),
    /// The host is given up on: the reason and detail for every address still waiting for it.
    GivenUp(Reason, String),
}

#[derive(Default)]
struct Health {
    failures: usize,
    retry_at: Option<Instant>,
    given_up: Option<(Reason, String)>,
}

/// The failure counts of every host of one engine run.
pub struct HostHealth {
    base: Duration,
    floor: Duration,
    max_failures: usize,
    hosts: Mutex<HashMap<IpAddr, Health>>,
}

/// The wait after the `failures`-th failure in a row: `base` doubled for each failure after
/// the first, scaled by `jitter` (0..1 maps to 0.75..1.25), at least `floor`, at most 5 min.
pub fn backoff_delay(base: Duration, floor: Duration, failures: usize, jitter: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(16) as i32;
    let scale = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
    let delay = base.as_secs_f64() * 2f64.powi(doublings) * scale;
    Duration::from_secs_f64(delay.min(MAX_BACKOFF.as_secs_f64())).max(floor)
}

impl HostHealth {
    /// The budget the engine configuration sets.
    pub fn new(engine: &EngineConfig) -> HostHealth {
        HostHealth {
            base: Duration::from_secs_f64(engine.retry_backoff.max(0.001)),
            floor: Duration::from_secs_f64(engine.connect_interval.max(0.0)),
            max_failures: engine.host_failures_max.max(1),
            hosts: Mutex::default(),
        }
    }

    /// Whether `ip` may be dialled at `now`.
    pub fn state(&self, ip: IpAddr, now: Instant) -> HostState {
        let hosts = self.hosts.lock().expect("host health lock");
        let Some(health) = hosts.get(&ip) else {
            return HostState::Ready;
        };
        if let Some((reason, why)) = &health.given_up {
            return HostState::GivenUp(*reason, why.clone());
        }
        match health.retry_at {
            Some(at) if at > now => HostState::WaitUntil(at),
            _ => HostState::Ready,
        }
    }

    /// Counts a session to `ip` that ended without an answer (`detail` says how).
    pub fn failed(&self, ip: IpAddr, shown: &str, failure: (Reason, &str)) -> AfterFailure {
        let jitter = rand::rng().random_range(0.0..1.0);
        self.failed_with_jitter(ip, shown, failure, Instant::now(), jitter)
    }

    fn failed_with_jitter(
        &self,
        ip: IpAddr,
        shown: &str,
        (reason, detail): (Reason, &str),
        now: Instant,
        jitter: f64,
    ) -> AfterFailure {
        let mut hosts = self.hosts.lock().expect("host health lock");
        let health = hosts.entry(ip).or_default();
        if let Some((reason, why)) = &health.given_up {
            return AfterFailure::GivenUp(*reason, why.clone());
        }
        health.failures += 1;
        if health.failures >= self.max_failures {
            let why = format!(
                "{shown} given up on for this run after {} failed sessions in a row; the last: {detail}",
                health.failures
            );
            tracing::info!("{}", crate::text::terminal_safe(&why));
            health.given_up = Some((reason, why.clone()));
            return AfterFailure::GivenUp(reason, why);
        }
        let delay = backoff_delay(self.base, self.floor, health.failures, jitter);
        tracing::debug!(
            "{shown}: session failed ({} in a row); next try in {:.1} s",
            health.failures,
            delay.as_secs_f64()
        );
        health.retry_at = Some(now + delay);
        AfterFailure::Backoff(delay)
    }

    /// Counts a session to `ip` that got a real answer: the failures in a row start again.
    pub fn succeeded(&self, ip: IpAddr) {
        let mut hosts = self.hosts.lock().expect("host health lock");
        if let Some(health) = hosts.get_mut(&ip)
            && health.given_up.is_none()
        {
            health.failures = 0;
            health.retry_at = None;
        }
    }

    /// The server at `ip` refused us (our IP, rDNS, HELO, a blocklist, a policy about the
    /// client), not a mailbox: it is not asked again in this run, and every address still
    /// waiting for it gets `detail` as `unknown/blocked`. Returns whether this is news.
    pub fn refused_us(&self, ip: IpAddr, detail: &str) -> bool {
        let mut hosts = self.hosts.lock().expect("host health lock");
        let health = hosts.entry(ip).or_default();
        if health.given_up.is_some() {
            return false;
        }
        tracing::info!(
            "{ip} refused us; not asked again this run: {}",
            crate::text::terminal_safe(detail)
        );
        health.given_up = Some((Reason::Blocked, detail.to_string()));
        true
    }

    /// Waits until `ip` may be dialled; returns why not when it was given up on.
    pub async fn wait_ready(&self, ip: IpAddr) -> Result<(), (Reason, String)> {
        loop {
            match self.state(ip, Instant::now()) {
                HostState::Ready => return Ok(()),
                HostState::WaitUntil(at) => tokio::time::sleep_until(at).await,
                HostState::GivenUp(reason, why) => return Err((reason, why)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(max_failures: usize) -> HostHealth {
        let engine = EngineConfig {
            retry_backoff: 2.0,
            host_failures_max: max_failures,
            connect_interval: 0.0,
            ..EngineConfig::default()
        };
        HostHealth::new(&engine)
    }

    const IP: &str = "192.0.2.1";
    const T421: (Reason, &str) = (Reason::TemporaryFailure, "421");

    #[test]
    fn the_wait_doubles_with_each_failure_in_a_row_and_is_jittered() {
        let base = Duration::from_secs(2);
        let mid = |n| backoff_delay(base, Duration::ZERO, n, 0.5);
        assert_eq!(mid(1), Duration::from_secs(2));
        assert_eq!(mid(2), Duration::from_secs(4));
        assert_eq!(mid(3), Duration::from_secs(8));
        assert_eq!(
            backoff_delay(base, Duration::ZERO, 1, 0.0),
            Duration::from_millis(1500)
        );
        assert_eq!(
            backoff_delay(base, Duration::ZERO, 1, 1.0),
            Duration::from_millis(2500)
        );
        assert_eq!(mid(40), MAX_BACKOFF);
    }

    #[test]
    fn the_wait_is_never_shorter_than_the_connect_interval() {
        let floor = Duration::from_secs(30);
        assert_eq!(backoff_delay(Duration::from_secs(2), floor, 1, 0.0), floor);
    }

    #[test]
    fn a_host_is_given_up_on_after_the_failures_in_a_row() {
        let health = health(3);
        let ip: IpAddr = IP.parse().unwrap();
        let now = Instant::now();
        assert_eq!(health.state(ip, now), HostState::Ready);
        let first = health.failed_with_jitter(ip, "mx[ip]", T421, now, 0.5);
        assert_eq!(first, AfterFailure::Backoff(Duration::from_secs(2)));
        assert_eq!(
            health.state(ip, now),
            HostState::WaitUntil(now + Duration::from_secs(2))
        );
        assert_eq!(
            health.state(ip, now + Duration::from_secs(3)),
            HostState::Ready
        );
        health.failed_with_jitter(ip, "mx[ip]", T421, now, 0.5);
        let third = health.failed_with_jitter(
            ip,
            "mx[ip]",
            (Reason::TemporaryFailure, "421 bye"),
            now,
            0.5,
        );
        let AfterFailure::GivenUp(reason, why) = third else {
            panic!("the third failure gives the host up: {third:?}");
        };
        assert_eq!(reason, Reason::TemporaryFailure);
        assert!(why.contains("3 failed sessions in a row"), "{why}");
        assert!(why.contains("421 bye"), "{why}");
        assert!(matches!(
            health.state(ip, now + MAX_BACKOFF),
            HostState::GivenUp(..)
        ));
        health.succeeded(ip);
        assert!(
            matches!(health.state(ip, now), HostState::GivenUp(..)),
            "a given-up host stays given up"
        );
    }

    #[test]
    fn an_answer_resets_the_count_and_other_hosts_are_not_affected() {
        let health = health(2);
        let ip: IpAddr = IP.parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let now = Instant::now();
        health.failed_with_jitter(ip, "a", T421, now, 0.5);
        assert_eq!(health.state(other, now), HostState::Ready);
        health.succeeded(ip);
        assert_eq!(health.state(ip, now), HostState::Ready);
        assert!(matches!(
            health.failed_with_jitter(ip, "a", T421, now, 0.5),
            AfterFailure::Backoff(_)
        ));
    }

    #[test]
    fn a_host_that_refused_us_is_not_asked_again() {
        let health = health(4);
        let ip: IpAddr = IP.parse().unwrap();
        assert!(health.refused_us(ip, "mx refused us: 554 5.7.1 blocked using zen"));
        assert!(!health.refused_us(ip, "again"), "news only once");
        let HostState::GivenUp(reason, why) = health.state(ip, Instant::now()) else {
            panic!("a host that refused us is given up on");
        };
        assert_eq!(reason, Reason::Blocked);
        assert!(why.contains("554 5.7.1"), "{why}");
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_a_host_sleeps_out_its_backoff() {
        let health = health(5);
        let ip: IpAddr = IP.parse().unwrap();
        let started = Instant::now();
        health.failed_with_jitter(ip, "a", T421, started, 0.5);
        health.wait_ready(ip).await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
