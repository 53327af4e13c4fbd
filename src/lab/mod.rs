//! The embedded lab: an in-process DNS server and scripted SMTP servers on loopback ports.
//!
//! It serves `--demo`, the tests and the benchmarks, so all three exercise the real engine
//! (real hickory-resolver lookups, real TCP, real TLS). It needs no root and no network: every
//! socket is bound to 127.0.0.1 on a port the OS picks. The lab's DNS hands out 127.0.0.x
//! addresses for its hosts; the lab dialer maps each to its server's port.
//!
//! Domains (all answered by the lab's DNS only):
//!
//! | domain          | what it does                                                          |
//! |-----------------|-----------------------------------------------------------------------|
//! | lab.test        | Postfix-like with STARTTLS; alice, bob, postmaster, info, jörg exist; carol is full (552 5.2.2), dave disabled (550 5.2.1), denied refused by recipient policy (554 5.7.1), badsyntax 553 5.1.3, notfound 550 5.1.10 (Microsoft's RecipientNotFound), odd 559 5.1.1 (a code no standard defines); others 550 5.1.1 |
//! | sameip.test     | MX mail.sameip.test: another name for lab.test's server (same IP)                                                                            |
//! | catchall.test   | accepts every address                                                 |
//! | mailinator.com  | a disposable domain, served by the catch-all server                   |
//! | greylist.test   | 450 4.7.1 until a recipient was first seen a while ago                |
//! | blocked.test    | 554 5.7.1 ... blocked using zen.spamhaus.org                          |
//! | tlsonly.test    | 530 5.7.0 until STARTTLS (self-signed certificate made at start)      |
//! | helo.test       | EHLO gets 502; HELO works                                             |
//! | slow.test       | every reply 400 ms late                                               |
//! | tarpit.test     | never greets                                                          |
//! | drop.test       | hangs up after EHLO                                                   |
//! | aonly.test      | no MX, an A record: implicit MX                                       |
//! | backup.test     | primary MX refuses connections, the backup answers                    |
//! | hostile.test    | escape sequences in the greeting, a 5000-byte EHLO line               |
//! | nullmx.test     | `MX 0 .` (RFC 7505)                                                   |
//! | nomail.test     | exists, but no MX and no A                                            |
//! | servfail.test   | SERVFAIL                                                              |
//! | limited.test    | 452 4.5.3 after 5 RCPTs in one transaction                            |
//! | busy.test       | greets with 421 4.3.2 too many concurrent connections (server load)   |
//! | bulkN.test      | with `bulk_domains`: N % 10 == 0 catch-all, == 1 greylisting, else standard |
//! | deadN.test      | with `dead_domains`: MX mx.deadN.test at its own address, where nothing listens |
//! | holeN.test      | with `hole_domains`: MX mx.holeN.test at its own address, where connects hang |
//! | probe.test      | MX mx1.lab.test: a "large provider" for the port-25 breaker's check in tests |
//! | ID.providers.test | MX named like provider ID's real hosts (aspmx.l.google.com ...), answered by lab.test's server; see [`zone::PROVIDER_DOMAINS`] |
//!
//! For `doctor`: the lab's servers answer EHLO with `Hello NAME [127.0.0.1]` (the client's
//! address as they see it); `verifier.lab.test` resolves to 127.0.0.1 (whose PTR no DNS
//! server is asked for: RFC 6761); 192.0.2.1 and .2 have PTR records (one forward-confirmed,
//! one not), 192.0.2.3 none; lab.test has the SPF record `v=spf1 mx ip4:127.0.0.1 -all`; the
//! blocklist `dnsbl.lab.test` lists 127.0.0.1 (127.0.0.2), and with `spamhaus_answer` (env
//! `MXKNOCK_LAB_SPAMHAUS_ANSWER`) so does `zen.spamhaus.org`, with that answer.
//!
//! With `port25_blocked` (`MXKNOCK_LAB_PORT_BLOCKED=1` for `--demo`), every connect hangs until
//! its timeout, as on a network that drops outbound port 25.
//!
//! On every server with a user list, local parts starting with `ok` exist too (for bulk lists).
//! | anything else   | NXDOMAIN                                                              |
//!
//! Apart from the lab, [`hostile`] is a single scripted server that misbehaves in one chosen
//! way (421s, malformed or endless replies, silence, resets, early talk ...) and records at the
//! server side what the client did, for the tests of how the engine copes.

pub mod cert;
pub mod dns_server;
pub mod hostile;
pub mod script;
pub mod smtp_server;
pub mod zone;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::engine::dns::{Dns, DnsServers};
use crate::engine::net::{Dialer, Net};
pub use smtp_server::{Received, ServerLog};

/// How the lab behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabOptions {
    /// Delay before every SMTP reply, to look like a real network.
    pub latency: Duration,
    /// How long the greylisting server defers a new recipient.
    pub greylist_delay: Duration,
    /// How many extra `bulkN.test` domains to serve (see [`zone::bulk`]).
    pub bulk_domains: usize,
    /// How many `deadN.test` domains to serve: each has its own MX address, where nothing
    /// listens (connections are refused).
    pub dead_domains: usize,
    /// How many `holeN.test` domains to serve: each has its own MX address, where every
    /// connect hangs until its timeout (packets dropped).
    pub hole_domains: usize,
    /// Every connect hangs until its timeout, as on a network that blocks outbound port 25.
    pub port25_blocked: bool,
    /// What `zen.spamhaus.org` answers for 127.0.0.1 (the IP the lab's servers see); None:
    /// NXDOMAIN, not listed. For the tests of `doctor`'s blocklist check.
    pub spamhaus_answer: Option<std::net::Ipv4Addr>,
}

impl LabOptions {
    /// For `--demo`: replies take a little while so the transcript visibly streams.
    /// `MXKNOCK_LAB_LATENCY_MS` overrides the latency, `MXKNOCK_LAB_GREYLIST_SECS` the
    /// greylisting delay (30 s), `MXKNOCK_LAB_BULK_DOMAINS` adds `bulkN.test` domains,
    /// `MXKNOCK_LAB_SPAMHAUS_ANSWER=127.0.0.4` makes zen.spamhaus.org list 127.0.0.1.
    pub fn demo() -> Self {
        let latency = std::env::var("MXKNOCK_LAB_LATENCY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(40);
        let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        LabOptions {
            latency: Duration::from_millis(latency),
            greylist_delay: Duration::from_secs(env("MXKNOCK_LAB_GREYLIST_SECS").unwrap_or(30)),
            bulk_domains: env("MXKNOCK_LAB_BULK_DOMAINS").unwrap_or(0) as usize,
            dead_domains: env("MXKNOCK_LAB_DEAD_DOMAINS").unwrap_or(0) as usize,
            hole_domains: env("MXKNOCK_LAB_HOLE_DOMAINS").unwrap_or(0) as usize,
            port25_blocked: env("MXKNOCK_LAB_PORT_BLOCKED").unwrap_or(0) != 0,
            spamhaus_answer: std::env::var("MXKNOCK_LAB_SPAMHAUS_ANSWER")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    /// For tests: no added latency.
    pub fn fast() -> Self {
        LabOptions {
            latency: Duration::ZERO,
            greylist_delay: Duration::from_secs(30),
            bulk_domains: 0,
            dead_domains: 0,
            hole_domains: 0,
            port25_blocked: false,
            spamhaus_answer: None,
        }
    }
}

/// A running lab. Dropping it stops every server.
pub struct Lab {
    /// Where the lab's DNS server listens.
    pub dns_addr: SocketAddr,
    /// Every command every server received.
    pub log: Arc<ServerLog>,
    dns_queries: Arc<AtomicU64>,
    routes: Arc<HashMap<IpAddr, SocketAddr>>,
    port25_blocked: bool,
    tasks: Vec<JoinHandle<()>>,
}

impl Lab {
    /// Starts the DNS server and every scripted SMTP server.
    pub async fn start(options: LabOptions) -> Result<Lab, String> {
        let dns_queries = Arc::new(AtomicU64::new(0));
        let (bulk_zone, bulk_hosts) = zone::bulk(options.bulk_domains, options.greylist_delay);
        let mut all_zone = zone::zone();
        all_zone.extend(bulk_zone);
        all_zone.extend(zone::dead(options.dead_domains));
        all_zone.extend(zone::holes(options.hole_domains));
        all_zone.extend(options.spamhaus_answer.map(zone::spamhaus_answer));
        let (dns_addr, dns_task) = dns_server::start(all_zone, dns_queries.clone())
            .await
            .map_err(|e| format!("lab DNS server: {e}"))?;
        let mut hosts = zone::hosts(options.greylist_delay);
        hosts.extend(bulk_hosts);
        let names: Vec<String> = hosts
            .iter()
            .filter_map(|h| h.script.as_ref().map(|s| s.name.to_string()))
            .collect();
        let acceptor = cert::self_signed_acceptor(names)?;
        let log = Arc::new(ServerLog::default());
        let mut routes = HashMap::new();
        let mut tasks = vec![dns_task];
        for host in hosts {
            let addr = match host.script {
                Some(script) => {
                    let (addr, task) =
                        smtp_server::start(script, options.latency, log.clone(), acceptor.clone())
                            .await
                            .map_err(|e| format!("lab SMTP server: {e}"))?;
                    tasks.push(task);
                    addr
                }
                None => closed_port().map_err(|e| format!("lab dead host: {e}"))?,
            };
            routes.insert(IpAddr::V4(host.ip), addr);
        }
        for i in 0..options.hole_domains {
            routes.insert(IpAddr::V4(zone::hole_ip(i)), BLACKHOLE);
        }
        Ok(Lab {
            port25_blocked: options.port25_blocked,
            dns_addr,
            log,
            dns_queries,
            routes: Arc::new(routes),
            tasks,
        })
    }

    /// How many DNS queries the lab's DNS server has received.
    pub fn dns_queries(&self) -> u64 {
        self.dns_queries.load(Ordering::Relaxed)
    }

    /// How many TCP connections all lab SMTP servers have accepted.
    pub fn smtp_connections(&self) -> u64 {
        self.log.total_connections()
    }

    /// The dialer that reaches the lab's servers.
    pub fn dialer(&self) -> Dialer {
        Dialer::Lab {
            routes: self.routes.clone(),
            port25_blocked: self.port25_blocked,
        }
    }

    /// DNS through the lab's server plus the lab dialer.
    pub fn net(&self, dns_timeout: Duration) -> Result<Net, String> {
        let dns = Dns::new(&DnsServers::UdpOnly(vec![self.dns_addr]), dns_timeout)?;
        Ok(Net {
            dns,
            dialer: self.dialer(),
            proxy: None,
        })
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The route of a lab host whose packets are dropped: the lab dialer waits out the connect
/// timeout (see [`crate::engine::net::Dialer::Lab`]).
pub const BLACKHOLE: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

/// A loopback port where nothing listens: bind, note the port, close.
fn closed_port() -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr()
}
