//! What every check of one engine run shares: configuration, network, counters and the per-run
//! caches (MX answers per domain, hosts whose STARTTLS failed) and the per-host session limit.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::dns::{DnsFailure, MailHosts};
use super::hosts::health::HostHealth;
use super::hosts::limit::HostLimit;
use super::hosts::port_breaker::PortBreaker;
use super::knowledge::providers::Providers;
use super::net::Net;
use super::stats::Stats;
use crate::config::Config;

/// Shared by every worker of an engine.
pub struct CheckContext {
    /// The configuration.
    pub config: Arc<Config>,
    /// DNS and dialer.
    pub net: Net,
    /// The EHLO name (resolved once).
    pub helo: String,
    /// Sessions and RCPTs counted.
    pub stats: Arc<Stats>,
    /// At most `engine.per_host` open sessions per server IP, whichever domain they are for.
    pub host_limit: HostLimit,
    /// The retry budget of each server IP: backoff after failed sessions, then giving up.
    pub host_health: HostHealth,
    /// Tells "outbound port 25 is blocked from here" from "these servers are down".
    pub breaker: Arc<PortBreaker>,
    /// Server IPs that answered only part of a pipelined batch: spoken to one command at a time.
    no_pipelining: Mutex<HashSet<std::net::IpAddr>>,
    /// The server given with `--server` (normalised), asked instead of the MX hosts.
    pub server: Option<String>,
    /// Who runs which mail servers, and their habits (built-in table and `[[providers]]`).
    pub providers: Providers,
    /// The history's results that may stand in for a check (none: every address is asked).
    pub reuse: Option<Arc<crate::history::Reuse>>,
    mx: Mutex<HashMap<String, Arc<OnceCell<MailHosts>>>>,
    tls_failed: Mutex<HashSet<String>>,
    /// Typo hints per domain (the edit distances to every provider cost more than the rest of
    /// preparing an address), for at most [`TYPO_CACHE_DOMAINS`] domains.
    typos: Mutex<HashMap<Box<str>, Option<&'static str>>>,
}

/// Domains whose typo hint is remembered; beyond that it is worked out each time.
const TYPO_CACHE_DOMAINS: usize = 100_000;

impl CheckContext {
    /// A context with empty caches.
    pub fn new(config: Arc<Config>, net: Net) -> CheckContext {
        let helo = config.helo_name();
        let host_limit = HostLimit::new(
            config.engine.per_host,
            Config::secs(config.engine.connect_interval),
        );
        let host_health = HostHealth::new(&config.engine);
        let server = config
            .smtp
            .server
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| crate::config::parse_server(s).unwrap_or_else(|_| s.to_string()));
        // With --server every check goes to one server: its failures say nothing about port 25
        // in general, so the breaker (and its check of other hosts) is off.
        let breaker_threshold = if server.is_some() {
            0
        } else {
            config.engine.port_block_after
        };
        let breaker = PortBreaker::new(
            breaker_threshold,
            net.clone(),
            config.engine.probe_domains.clone(),
            Config::secs(config.smtp.connect_timeout),
        );
        // The config was validated before an engine starts; a table that does not build leaves
        // the built-in one.
        let providers = config
            .provider_table()
            .unwrap_or_else(|_| Providers::builtin());
        CheckContext {
            config,
            net,
            helo,
            stats: Arc::default(),
            host_limit,
            host_health,
            breaker,
            no_pipelining: Mutex::default(),
            server,
            reuse: None,
            providers,
            mx: Mutex::default(),
            tls_failed: Mutex::default(),
            typos: Mutex::default(),
        }
    }

    /// The provider domain `domain` (A-label) is likely a typo of, worked out once per domain.
    pub fn typo_of(&self, domain: &str) -> Option<&'static str> {
        if let Some(known) = self.typos.lock().expect("typo cache lock").get(domain) {
            return *known;
        }
        let hint = crate::address::suggest_domain(domain);
        let mut typos = self.typos.lock().expect("typo cache lock");
        if typos.len() < TYPO_CACHE_DOMAINS {
            typos.insert(domain.into(), hint);
        }
        hint
    }

    /// The MX answer for `domain`, looked up once per run: concurrent callers wait for the
    /// first lookup. Returns whether this call did the lookup.
    pub async fn mail_hosts(&self, domain: &str) -> (MailHosts, bool) {
        let cell = self
            .mx
            .lock()
            .expect("mx cache lock")
            .entry(domain.to_string())
            .or_default()
            .clone();
        let mut looked_up = false;
        let hosts = cell
            .get_or_init(|| async {
                looked_up = true;
                self.net.dns.mail_hosts(domain).await
            })
            .await
            .clone();
        (hosts, looked_up)
    }

    /// The addresses of a mail host, IPv4 first. The `--server` given as an IP address is
    /// its own answer; an MX record naming an IP address is looked up as a name, as mail
    /// servers do (and fails).
    pub async fn host_ips(&self, host: &str) -> Result<Vec<std::net::IpAddr>, DnsFailure> {
        if self.server.as_deref() == Some(host)
            && let Ok(ip) = host.parse()
        {
            return Ok(vec![ip]);
        }
        self.net.dns.host_ips(host).await
    }

    /// Whether opportunistic STARTTLS already failed on `host` in this run.
    pub fn tls_failed(&self, host: &str) -> bool {
        self.tls_failed
            .lock()
            .expect("tls cache lock")
            .contains(host)
    }

    /// Whether the server at `ip` answered only part of a pipelined batch in this run.
    pub fn pipelining_broken(&self, ip: std::net::IpAddr) -> bool {
        self.no_pipelining
            .lock()
            .expect("pipelining cache lock")
            .contains(&ip)
    }

    /// Remembers that the server at `ip` cannot be pipelined to: later sessions send one
    /// command at a time.
    pub fn remember_broken_pipelining(&self, ip: std::net::IpAddr) {
        self.no_pipelining
            .lock()
            .expect("pipelining cache lock")
            .insert(ip);
    }

    /// Remembers that STARTTLS failed on `host`, so later sessions go straight to plain text.
    pub fn remember_tls_failure(&self, host: &str) {
        self.tls_failed
            .lock()
            .expect("tls cache lock")
            .insert(host.to_string());
    }
}
