//! The IP address the mail servers see: from their own words (`250-mx.example Hello name
//! [203.0.113.9]`), else the local address of the connection (private or loopback: NAT is in
//! the way and the public address is not known here), or the proxy's with `--proxy`.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use super::probe::Probe;
use super::report::{Check, IpSource};

/// The check's name.
pub const NAME: &str = "IP seen";

/// Every IP address literal in brackets in `text`: `[203.0.113.9]`, `[IPv6:2001:db8::1]`,
/// `[2001:db8::1]`, in order.
pub fn ip_literals(text: &str) -> Vec<IpAddr> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inside = rest[..close].trim();
        let inside = inside
            .strip_prefix("IPv6:")
            .or_else(|| inside.strip_prefix("ipv6:"))
            .unwrap_or(inside);
        if let Ok(ip) = inside.parse::<IpAddr>() {
            found.push(ip);
        }
        rest = &rest[close..];
    }
    found
}

/// The client address a server names in its EHLO reply (first line first) or greeting,
/// leaving out the server's own address (some greetings name it).
pub fn named_by_server<'a>(
    ehlo: impl IntoIterator<Item = &'a str>,
    greeting: impl IntoIterator<Item = &'a str>,
    server_ip: Option<IpAddr>,
) -> Option<IpAddr> {
    ehlo.into_iter()
        .chain(greeting)
        .flat_map(ip_literals)
        .find(|ip| Some(*ip) != server_ip)
}

/// Whether `ip` is not reachable from the internet at large: private (RFC 1918, RFC 4193),
/// loopback, link-local, shared (100.64.0.0/10, carrier-grade NAT) or unspecified.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The local address the system would use to reach `target` (from `bind` when given): a
/// connected UDP socket's address, found without sending a packet.
pub fn local_address_for(target: SocketAddr, bind: Option<IpAddr>) -> Option<IpAddr> {
    let any: IpAddr = if target.is_ipv4() {
        std::net::Ipv4Addr::UNSPECIFIED.into()
    } else {
        std::net::Ipv6Addr::UNSPECIFIED.into()
    };
    let socket = UdpSocket::bind(SocketAddr::new(bind.unwrap_or(any), 0)).ok()?;
    socket.connect(target).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

/// What is known of the IP the servers see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The address.
    pub ip: IpAddr,
    /// Where it came from.
    pub source: IpSource,
    /// Who said so: the server's host name, or the proxy.
    pub by: String,
    /// Other addresses other servers named (several ways out).
    pub others: Vec<(IpAddr, String)>,
}

impl Seen {
    /// The address to look up in reverse DNS and blocklists: None when it is only a private
    /// local or proxy address (the public one, behind NAT, is not known here).
    pub fn public_ip(&self) -> Option<IpAddr> {
        match self.source {
            IpSource::Server => Some(self.ip),
            IpSource::LocalAddress | IpSource::Proxy => (!is_private(self.ip)).then_some(self.ip),
        }
    }
}

/// Works out the IP seen from the probes, and the proxy's address (`proxy`: its address and
/// how it is shown) when one is used.
pub fn decide(probes: &[Probe], proxy: Option<(IpAddr, String)>) -> Option<Seen> {
    let named: Vec<(IpAddr, String)> = probes
        .iter()
        .filter_map(|p| p.named_ip.map(|ip| (ip, p.shown_host())))
        .collect();
    if let Some((ip, by)) = named.first().cloned() {
        let mut others: Vec<(IpAddr, String)> = named
            .into_iter()
            .filter(|(other, _)| *other != ip)
            .collect();
        others.dedup_by(|a, b| a.0 == b.0);
        return Some(Seen {
            ip,
            source: IpSource::Server,
            by,
            others,
        });
    }
    if let Some((ip, by)) = proxy {
        return Some(Seen {
            ip,
            source: IpSource::Proxy,
            by,
            others: Vec::new(),
        });
    }
    let (ip, by) = probes
        .iter()
        .filter(|p| p.connected())
        .find_map(|p| p.local.map(|ip| (ip, p.shown_host())))?;
    Some(Seen {
        ip,
        source: IpSource::LocalAddress,
        by,
        others: Vec::new(),
    })
}

/// The check's line.
pub fn check(seen: Option<&Seen>) -> Check {
    let Some(seen) = seen else {
        return Check::skipped(NAME, "no mail server answered, so none could say");
    };
    let ip = seen.ip;
    match seen.source {
        IpSource::Server if !seen.others.is_empty() => {
            let others: Vec<String> = seen
                .others
                .iter()
                .map(|(ip, by)| format!("{ip} ({by})"))
                .collect();
            Check::warn(
                NAME,
                format!(
                    "servers see different addresses: {ip} ({}), {}",
                    seen.by,
                    others.join(", ")
                ),
                "connections leave through several addresses (a NAT pool?): each needs its PTR record and a clean reputation; --bind picks one",
            )
        }
        IpSource::Server => Check::pass(NAME, format!("{ip}, as {} says", seen.by)),
        IpSource::Proxy if is_private(ip) => Check::warn(
            NAME,
            format!(
                "the proxy {} is at the private address {ip}: the address it goes out from is not known here",
                seen.by
            ),
            "look up the proxy host's public address, and check its PTR record and blocklists by hand",
        ),
        IpSource::Proxy => Check::pass(NAME, format!("{ip}, the address of the proxy {}", seen.by)),
        IpSource::LocalAddress if is_private(ip) => Check::warn(
            NAME,
            format!(
                "no server named the address it sees, and the local address {ip} is {}: NAT is in the way",
                if ip.is_loopback() {
                    "loopback"
                } else {
                    "private"
                }
            ),
            "find the public address this network goes out from (your router or provider), and check its PTR record and blocklists",
        ),
        IpSource::LocalAddress => Check::pass(
            NAME,
            format!(
                "{ip}, the local address of the connection to {} (no server named one)",
                seen.by
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_finds_ip_literals_in_greetings_and_ehlo_replies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            ip_literals("BN8NAM12FT.mail.protection.outlook.com Hello [203.0.113.9]"),
            [ip("203.0.113.9")]
        );
        assert_eq!(
            ip_literals("mx.google.com at your service, [2001:db8::9]"),
            [ip("2001:db8::9")]
        );
        assert_eq!(
            ip_literals("mx.example Hello host [IPv6:2001:db8::1] and [ 192.0.2.7 ]"),
            [ip("2001:db8::1"), ip("192.0.2.7")]
        );
        assert!(ip_literals("mx1.lab.test ESMTP [not an ip] [unclosed 1.2.3.4").is_empty());
        assert!(ip_literals("[300.1.2.3] [] ]x[").is_empty());
        // The server's own address in its greeting is not ours.
        let server = Some(ip("198.51.100.1"));
        let ehlo = ["mx.example"];
        let greeting = ["mx.example [198.51.100.1] ESMTP, you are [203.0.113.9]"];
        assert_eq!(
            named_by_server(ehlo, greeting, server),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            named_by_server(["mx Hello x [127.0.0.1]"], ["220 [10.1.1.1]"], None),
            Some(ip("127.0.0.1")),
            "the EHLO reply comes first"
        );
        assert_eq!(named_by_server(["mx"], ["220 mx ESMTP"], None), None);
    }

    #[test]
    fn doctor_knows_private_addresses() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["203.0.113.9", "100.128.0.1", "2001:db8::1", "8.8.8.8"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn doctor_prefers_the_servers_words_then_the_proxy_then_the_local_address() {
        use super::super::probe::{Outcome, Probe};
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let probe = |named: Option<&str>, local: Option<&str>| Probe {
            target: "example.org".into(),
            also_for: Vec::new(),
            host: Some("mx.example".into()),
            ip: Some(ip("192.0.2.25")),
            outcome: Outcome::Answered,
            greeting: None,
            ehlo: None,
            mail_from: None,
            mail_from_skipped: None,
            named_ip: named.map(ip),
            local: local.map(ip),
            elapsed: Default::default(),
        };
        let proxy = Some((
            ip("198.51.100.5"),
            "socks5://proxy.example:1080".to_string(),
        ));
        let said = decide(
            &[
                probe(None, Some("10.0.0.2")),
                probe(Some("203.0.113.9"), None),
            ],
            proxy.clone(),
        )
        .unwrap();
        assert_eq!(
            (said.ip, said.source),
            (ip("203.0.113.9"), IpSource::Server)
        );
        let via = decide(&[probe(None, Some("10.0.0.2"))], proxy).unwrap();
        assert_eq!((via.ip, via.source), (ip("198.51.100.5"), IpSource::Proxy));
        assert_eq!(via.public_ip(), Some(ip("198.51.100.5")));
        let local = decide(&[probe(None, Some("10.0.0.2"))], None).unwrap();
        assert_eq!(
            (local.ip, local.source),
            (ip("10.0.0.2"), IpSource::LocalAddress)
        );
        let two = decide(
            &[
                probe(Some("203.0.113.9"), None),
                probe(Some("203.0.113.10"), None),
            ],
            None,
        )
        .unwrap();
        assert_eq!(check(Some(&two)).status, super::super::report::Status::Warn);
        assert_eq!(decide(&[], None), None);
    }

    #[test]
    fn doctor_takes_a_private_local_address_for_nat() {
        let seen = Seen {
            ip: "192.168.1.20".parse().unwrap(),
            source: IpSource::LocalAddress,
            by: "mx.example".into(),
            others: Vec::new(),
        };
        assert_eq!(seen.public_ip(), None);
        let c = check(Some(&seen));
        assert_eq!(c.status, super::super::report::Status::Warn);
        assert!(c.summary.contains("NAT"), "{}", c.summary);
        let said = Seen {
            source: IpSource::Server,
            ..seen
        };
        assert_eq!(said.public_ip(), Some(said.ip));
    }
}
