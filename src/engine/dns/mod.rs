//! MX resolution over hickory-resolver: preference order with equal preferences shuffled
//! (RFC 5321 5.1), implicit MX from A/AAAA when there is no MX, null MX (RFC 7505), and the
//! difference between NXDOMAIN, "no such records", SERVFAIL and a timeout.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use rand::seq::SliceRandom;

use super::judge::verdict::MxRecord;

/// What DNS says about where a domain's mail goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailHosts {
    /// Hosts to try, in order.
    Hosts(Vec<MxRecord>),
    /// The domain publishes `MX 0 .`: it accepts no mail.
    NullMx,
    /// NXDOMAIN.
    NoSuchDomain,
    /// The domain exists but has no MX and no A/AAAA.
    NoMailServer,
    /// DNS did not give an answer.
    Failed(DnsFailure),
}

/// Why DNS gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsFailure {
    /// No answer in time.
    Timeout,
    /// The name does not exist.
    NoSuchName,
    /// The name exists but has no addresses.
    NoAddresses,
    /// SERVFAIL, REFUSED, or another failure.
    Server(String),
}

impl std::fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DnsFailure::Timeout => f.write_str("DNS timed out"),
            DnsFailure::NoSuchName => f.write_str("no such name (NXDOMAIN)"),
            DnsFailure::NoAddresses => f.write_str("no A or AAAA records"),
            DnsFailure::Server(e) => write!(f, "DNS failure: {e}"),
        }
    }
}

/// Which servers to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsServers {
    /// The system configuration (/etc/resolv.conf).
    System,
    /// These servers over UDP and TCP.
    Given(Vec<SocketAddr>),
    /// These servers over UDP only (the embedded lab).
    UdpOnly(Vec<SocketAddr>),
}

/// The resolver mxknock uses for MX and host lookups.
#[derive(Clone)]
pub struct Dns {
    resolver: TokioResolver,
}

impl Dns {
    /// Builds a resolver for the given servers with a per-query timeout.
    pub fn new(servers: &DnsServers, timeout: Duration) -> Result<Dns, String> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match servers {
            DnsServers::System => TokioResolver::builder(provider)
                .map_err(|e| format!("cannot read the system DNS configuration: {e}"))?,
            DnsServers::Given(addrs) | DnsServers::UdpOnly(addrs) => {
                let udp_only = matches!(servers, DnsServers::UdpOnly(_));
                let name_servers = addrs
                    .iter()
                    .map(|addr| name_server(*addr, udp_only))
                    .collect();
                TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(name_servers),
                    provider,
                )
            }
        };
        let options = builder.options_mut();
        options.timeout = timeout;
        options.attempts = 1;
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        let resolver = builder
            .build()
            .map_err(|e| format!("cannot build the DNS resolver: {e}"))?;
        Ok(Dns { resolver })
    }

    /// Where mail for `domain` (A-label form) goes.
    pub async fn mail_hosts(&self, domain: &str) -> MailHosts {
        let fqdn = format!("{}.", domain.trim_end_matches('.'));
        match self.resolver.mx_lookup(fqdn.as_str()).await {
            Ok(lookup) => {
                let records: Vec<(u16, String, bool)> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(mx) => Some((
                            mx.preference,
                            mx.exchange
                                .to_ascii()
                                .trim_end_matches('.')
                                .to_ascii_lowercase(),
                            mx.exchange.is_root(),
                        )),
                        _ => None,
                    })
                    .collect();
                order_mx(records)
            }
            Err(e) if e.is_nx_domain() => MailHosts::NoSuchDomain,
            Err(e) if e.is_no_records_found() => self.implicit_mx(domain).await,
            Err(e) => MailHosts::Failed(failure(&e)),
        }
    }

    /// The addresses of a host, IPv4 first.
    pub async fn host_ips(&self, host: &str) -> Result<Vec<IpAddr>, DnsFailure> {
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        match self.resolver.lookup_ip(fqdn.as_str()).await {
            Ok(lookup) => {
                let mut ips: Vec<IpAddr> = lookup.iter().collect();
                ips.sort_by_key(|ip| ip.is_ipv6());
                ips.dedup();
                non_empty(ips)
            }
            Err(e) => Err(lookup_failure(&e)),
        }
    }

    /// No MX: the domain itself is the mail host if it has an address (RFC 5321 5.1).
    async fn implicit_mx(&self, domain: &str) -> MailHosts {
        match self.host_ips(domain).await {
            Ok(_) => MailHosts::Hosts(vec![MxRecord {
                host: domain.to_string(),
                preference: 0,
                implicit: true,
            }]),
            Err(DnsFailure::NoSuchName) => MailHosts::NoSuchDomain,
            Err(DnsFailure::NoAddresses) => MailHosts::NoMailServer,
            Err(other) => MailHosts::Failed(other),
        }
    }
}

/// Lookups for `mxknock doctor`: reverse DNS, TXT (SPF) and bare A records (DNS blocklists).
impl Dns {
    /// The same resolver (servers, timeout, cache) without the hosts file: what DNS itself
    /// says. A mail server never reads our /etc/hosts, and cloud machines list their own
    /// address there, so a PTR or A record found only there would be a false pass.
    pub fn without_hosts_file(&self) -> Dns {
        let mut resolver = self.resolver.clone();
        resolver.set_hosts(std::sync::Arc::new(hickory_resolver::Hosts::default()));
        Dns { resolver }
    }

    /// The PTR names of `ip` (lowercase, no trailing dot), from its [`reverse_name`].
    pub async fn ptr_names(&self, ip: IpAddr) -> Result<Vec<String>, DnsFailure> {
        let name = format!("{}.", reverse_name(ip));
        match self.resolver.reverse_lookup(name.as_str()).await {
            Ok(lookup) => {
                let names: Vec<String> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::PTR(ptr) => {
                            Some(ptr.0.to_ascii().trim_end_matches('.').to_ascii_lowercase())
                        }
                        _ => None,
                    })
                    .collect();
                non_empty(names)
            }
            Err(e) => Err(lookup_failure(&e)),
        }
    }

    /// The TXT records of `name`, each one's strings joined (as SPF reads them, RFC 7208
    /// 3.3), invalid UTF-8 replaced. `NoAddresses` means the name has no TXT records.
    pub async fn txt_records(&self, name: &str) -> Result<Vec<String>, DnsFailure> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(e) => Err(lookup_failure(&e)),
        }
    }

    /// The A records of `name` alone (no AAAA): what a DNS blocklist answers.
    pub async fn a_records(&self, name: &str) -> Result<Vec<std::net::Ipv4Addr>, DnsFailure> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.ipv4_lookup(fqdn.as_str()).await {
            Ok(lookup) => {
                let ips: Vec<std::net::Ipv4Addr> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::A(a) => Some(a.0),
                        _ => None,
                    })
                    .collect();
                non_empty(ips)
            }
            Err(e) => Err(lookup_failure(&e)),
        }
    }
}

/// The labels of `ip` in reverse order, as reverse DNS and DNS blocklists want them:
/// `9.113.0.203` for 203.0.113.9; for IPv6 the 32 nibbles, last first (RFC 3596 2.5).
pub fn reversed_labels(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}")
        }
        IpAddr::V6(v6) => v6
            .octets()
            .iter()
            .rev()
            .flat_map(|byte| [byte & 0x0f, byte >> 4])
            .map(|nibble| format!("{nibble:x}"))
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// The reverse DNS name of `ip`, without the trailing dot: `9.113.0.203.in-addr.arpa`, or
/// the nibbles under `ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    let suffix = if ip.is_ipv4() {
        "in-addr.arpa"
    } else {
        "ip6.arpa"
    };
    format!("{}.{suffix}", reversed_labels(ip))
}

fn name_server(addr: SocketAddr, udp_only: bool) -> NameServerConfig {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut connections = vec![udp];
    if !udp_only {
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = addr.port();
        connections.push(tcp);
    }
    NameServerConfig::new(addr.ip(), true, connections)
}

/// What a failed address, PTR, TXT or A lookup means.
fn lookup_failure(error: &NetError) -> DnsFailure {
    if error.is_nx_domain() {
        DnsFailure::NoSuchName
    } else if error.is_no_records_found() {
        DnsFailure::NoAddresses
    } else {
        failure(error)
    }
}

/// The records found, or `NoAddresses` when the answer held none of the type asked for.
fn non_empty<T>(records: Vec<T>) -> Result<Vec<T>, DnsFailure> {
    if records.is_empty() {
        Err(DnsFailure::NoAddresses)
    } else {
        Ok(records)
    }
}

fn failure(error: &NetError) -> DnsFailure {
    match error {
        NetError::Timeout => DnsFailure::Timeout,
        NetError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => DnsFailure::Timeout,
        other => DnsFailure::Server(other.to_string()),
    }
}

/// Applies RFC 7505 and RFC 5321 5.1 to raw MX answers `(preference, exchange, is_root)`.
pub fn order_mx(records: Vec<(u16, String, bool)>) -> MailHosts {
    let real: Vec<(u16, String)> = records
        .iter()
        .filter(|(_, _, root)| !root)
        .map(|(p, h, _)| (*p, h.clone()))
        .collect();
    if real.is_empty() {
        return if records.is_empty() {
            MailHosts::NoMailServer
        } else {
            MailHosts::NullMx
        };
    }
    let mut hosts: Vec<MxRecord> = real
        .into_iter()
        .map(|(preference, host)| MxRecord {
            host,
            preference,
            implicit: false,
        })
        .collect();
    hosts.shuffle(&mut rand::rng());
    hosts.sort_by_key(|h| h.preference);
    hosts.dedup_by(|a, b| a.host == b.host);
    MailHosts::Hosts(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(result: MailHosts) -> Vec<(u16, String)> {
        match result {
            MailHosts::Hosts(h) => h.into_iter().map(|m| (m.preference, m.host)).collect(),
            other => panic!("expected hosts, got {other:?}"),
        }
    }

    #[test]
    fn sorted_by_preference() {
        let got = hosts(order_mx(vec![
            (20, "b.test".into(), false),
            (10, "a.test".into(), false),
            (30, "c.test".into(), false),
        ]));
        assert_eq!(
            got,
            vec![
                (10, "a.test".into()),
                (20, "b.test".into()),
                (30, "c.test".into())
            ]
        );
    }

    #[test]
    fn equal_preferences_are_shuffled_but_stay_in_their_band() {
        let mut firsts = std::collections::HashSet::new();
        for _ in 0..200 {
            let got = hosts(order_mx(vec![
                (10, "a.test".into(), false),
                (10, "b.test".into(), false),
                (10, "c.test".into(), false),
                (5, "first.test".into(), false),
                (50, "last.test".into(), false),
            ]));
            assert_eq!(got[0].1, "first.test");
            assert_eq!(got[4].1, "last.test");
            firsts.insert(got[1].1.clone());
        }
        assert_eq!(
            firsts.len(),
            3,
            "every equal-preference host came first sometimes"
        );
    }

    #[test]
    fn reverse_names_for_ipv4_and_ipv6() {
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(reversed_labels(v4), "9.113.0.203");
        assert_eq!(reverse_name(v4), "9.113.0.203.in-addr.arpa");
        // The example of RFC 3596 2.5.
        let v6: IpAddr = "4321:0:1:2:3:4:567:89ab".parse().unwrap();
        assert_eq!(
            reverse_name(v6),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa"
        );
    }

    #[test]
    fn null_mx_alone_means_no_mail() {
        assert_eq!(order_mx(vec![(0, "".into(), true)]), MailHosts::NullMx);
    }

    #[test]
    fn null_mx_beside_real_hosts_is_ignored() {
        let got = hosts(order_mx(vec![
            (0, "".into(), true),
            (10, "mx.test".into(), false),
        ]));
        assert_eq!(got, vec![(10, "mx.test".into())]);
    }
}
