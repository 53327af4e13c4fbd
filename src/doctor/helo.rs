//! The HELO name: a fully qualified domain name (Postfix `reject_non_fqdn_helo_hostname`)
//! that resolves (`reject_unknown_helo_hostname`), ideally to the IP seen and equal to the PTR
//! name (what the large providers score).

use std::net::IpAddr;

use crate::engine::dns::DnsFailure;
use crate::engine::net::Net;

use super::rdns::Ptr;
use super::report::Check;

/// The check's name.
pub const NAME: &str = "HELO";

/// What kind of name `helo` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// An address literal, `[203.0.113.9]` or `[IPv6:2001:db8::1]`.
    Literal(IpAddr),
    /// A name with at least two labels that is not `localhost` or a bare number.
    Fqdn,
    /// Anything else (`localhost`, `myhost`, `myhost.`).
    NotFqdn,
}

/// Classifies a HELO name.
pub fn shape(helo: &str) -> Shape {
    if let Some(inner) = helo.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let inner = inner.strip_prefix("IPv6:").unwrap_or(inner);
        if let Ok(ip) = inner.parse() {
            return Shape::Literal(ip);
        }
        return Shape::NotFqdn;
    }
    let name = helo.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let top = labels.last().copied().unwrap_or_default();
    let fqdn = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && !top.bytes().all(|b| b.is_ascii_digit())
        && !name.ends_with(".localdomain")
        && name != "localhost.localdomain";
    if fqdn { Shape::Fqdn } else { Shape::NotFqdn }
}

/// Checks the HELO name against DNS, the IP seen and the PTR name.
pub async fn check(net: &Net, helo: &str, ip: Option<IpAddr>, ptr: &Ptr) -> Check {
    let use_ptr = match &ptr.confirmed {
        Some(name) => format!("--helo {name} (the PTR name)"),
        None => "--helo to a name of yours that resolves to this IP (and make it the PTR name too)"
            .into(),
    };
    match shape(helo) {
        Shape::NotFqdn => {
            return Check::fail(
                NAME,
                format!(
                    "{helo:?} is not a fully qualified domain name (Postfix reject_non_fqdn_helo_hostname refuses it)"
                ),
                format!("set {use_ptr}"),
            );
        }
        Shape::Literal(literal) => {
            let summary = match ip {
                Some(ip) if ip != literal => {
                    format!("{helo} is an address literal, and not of the IP seen {ip}")
                }
                _ => format!(
                    "{helo} is an address literal: allowed, but many servers score it as a sign of spam"
                ),
            };
            return Check::warn(NAME, summary, format!("set {use_ptr}"));
        }
        Shape::Fqdn => {}
    }
    let ips = match net.dns.host_ips(helo).await {
        Ok(ips) => ips,
        Err(DnsFailure::NoSuchName | DnsFailure::NoAddresses) => {
            return Check::fail(
                NAME,
                format!(
                    "{helo} does not resolve (Postfix reject_unknown_helo_hostname refuses it)"
                ),
                format!("give {helo} an A record for this machine's public IP, or set {use_ptr}"),
            );
        }
        Err(failure) => {
            return Check::warn(
                NAME,
                format!("could not resolve {helo}: {failure}"),
                "try again, or another resolver (--dns IP)",
            );
        }
    };
    let shown: Vec<String> = ips.iter().map(ToString::to_string).collect();
    let shown = shown.join(", ");
    let Some(ip) = ip else {
        return Check::pass(
            NAME,
            format!("{helo} resolves to {shown} (the IP seen is not known, so not compared)"),
        );
    };
    if !ips.contains(&ip) {
        return Check::warn(
            NAME,
            format!("{helo} resolves to {shown}, not to the IP seen {ip}"),
            format!("point {helo} at {ip}, or set {use_ptr}"),
        );
    }
    let helo_lower = helo.trim_end_matches('.').to_ascii_lowercase();
    match &ptr.confirmed {
        Some(name) if *name != helo_lower => Check::warn(
            NAME,
            format!("{helo} resolves to {ip}, but the PTR name is {name}"),
            format!("use --helo {name}, so the HELO name and the PTR name agree"),
        ),
        Some(_) => Check::pass(NAME, format!("{helo} resolves to {ip} and is the PTR name")),
        None => Check::pass(
            NAME,
            format!("{helo} resolves to {ip} (no forward-confirmed PTR name to compare)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_tells_fqdns_from_other_helo_names() {
        assert_eq!(shape("verifier.lab.test"), Shape::Fqdn);
        assert_eq!(shape("mail.example.org."), Shape::Fqdn);
        for not in [
            "localhost",
            "myhost",
            "",
            "a..b",
            "localhost.localdomain",
            "host.localdomain",
            "1.2.3.4",
            "x.",
            ".",
        ] {
            assert_eq!(shape(not), Shape::NotFqdn, "{not:?}");
        }
        assert_eq!(
            shape("[203.0.113.9]"),
            Shape::Literal("203.0.113.9".parse().unwrap())
        );
        assert_eq!(
            shape("[IPv6:2001:db8::1]"),
            Shape::Literal("2001:db8::1".parse().unwrap())
        );
        assert_eq!(shape("[nope]"), Shape::NotFqdn);
    }
}
