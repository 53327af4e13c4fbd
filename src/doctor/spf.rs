//! A simple reading of SPF records (RFC 7208): which record is the SPF one, and whether it
//! names an IP through `ip4:` / `ip6:` (pure), or `a` / `mx` (the caller resolves those).
//! `include:`, `redirect=`, `exists:`, `ptr` and macros are not followed: this is no full SPF
//! evaluation, and the output says so.

use std::net::IpAddr;

/// The TXT records that are SPF records (`v=spf1` alone or followed by a space).
pub fn spf_records(txts: &[String]) -> Vec<&str> {
    txts.iter()
        .map(|t| t.trim())
        .filter(|t| {
            let lower = t.to_ascii_lowercase();
            lower == "v=spf1" || lower.starts_with("v=spf1 ")
        })
        .collect()
}

/// The mechanisms of a record that may name the sending IP, with a `+` (or no) qualifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Names {
    /// `ip4:` or `ip6:` with a network and prefix length, as written.
    Ip(String),
    /// `a` or `a:domain` (None: the record's own domain).
    A(Option<String>),
    /// `mx` or `mx:domain`.
    Mx(Option<String>),
}

/// The passing mechanisms of `record` that can name an IP (ip4, ip6, a, mx), in order.
pub fn naming_mechanisms(record: &str) -> Vec<Names> {
    record
        .split_whitespace()
        .skip(1)
        .filter_map(|term| {
            let term = match term.as_bytes().first() {
                Some(b'+') => &term[1..],
                Some(b'-' | b'~' | b'?') => return None,
                _ => term,
            };
            let lower = term.to_ascii_lowercase();
            let (name, arg) = match lower.split_once(':') {
                Some((name, arg)) => (name.to_string(), Some(arg.to_string())),
                None => (lower.clone(), None),
            };
            // `a/24`, `mx:example.org/24`: the CIDR part of a and mx is ignored (a simple
            // check); that of ip4 and ip6 is the network.
            let name = name.split('/').next().unwrap_or_default().to_string();
            let domain = || {
                arg.as_deref()
                    .and_then(|a| a.split('/').next())
                    .filter(|d| !d.is_empty())
                    .map(String::from)
            };
            match name.as_str() {
                "ip4" | "ip6" => arg.clone().map(Names::Ip),
                "a" => Some(Names::A(domain())),
                "mx" => Some(Names::Mx(domain())),
                _ => None,
            }
        })
        .collect()
}

/// Whether `ip` is in the network `net` (`203.0.113.0/24`, `2001:db8::/32`, or one address).
pub fn in_network(ip: IpAddr, net: &str) -> bool {
    let (addr, prefix) = match net.split_once('/') {
        Some((addr, prefix)) => (addr, prefix.parse::<u32>().ok()),
        None => (net, None),
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (ip, addr) {
        (IpAddr::V4(ip), IpAddr::V4(addr)) => {
            let prefix = prefix.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(ip) & mask == u32::from(addr) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(addr)) => {
            let prefix = prefix.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(ip) & mask == u128::from(addr) & mask
        }
        _ => false,
    }
}

/// The `ip4:` / `ip6:` term of `record` that names `ip`, if any.
pub fn names_ip_directly(record: &str, ip: IpAddr) -> Option<String> {
    naming_mechanisms(record).into_iter().find_map(|m| match m {
        Names::Ip(net) if in_network(ip, &net) => Some(format!(
            "{}:{net}",
            if ip.is_ipv4() { "ip4" } else { "ip6" }
        )),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_finds_the_spf_record_among_txt_records() {
        let txts = vec![
            "google-site-verification=abc".to_string(),
            "v=spf1 include:_spf.example.org ~all".to_string(),
            "v=spf10 nope".to_string(),
            "V=SPF1".to_string(),
        ];
        assert_eq!(
            spf_records(&txts),
            ["v=spf1 include:_spf.example.org ~all", "V=SPF1"]
        );
    }

    #[test]
    fn doctor_sees_whether_spf_names_the_ip() {
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let record = "v=spf1 ip4:198.51.100.0/24 +ip4:203.0.113.0/28 mx -all";
        assert_eq!(
            names_ip_directly(record, ip).as_deref(),
            Some("ip4:203.0.113.0/28")
        );
        assert_eq!(
            names_ip_directly("v=spf1 ip4:203.0.113.9 -all", ip).as_deref(),
            Some("ip4:203.0.113.9")
        );
        assert_eq!(names_ip_directly("v=spf1 -ip4:203.0.113.9 ~all", ip), None);
        assert_eq!(names_ip_directly("v=spf1 include:x.example ~all", ip), None);
        assert_eq!(
            names_ip_directly("v=spf1 ip4:203.0.113.16/28 -all", ip),
            None
        );
        let v6: IpAddr = "2001:db8::25".parse().unwrap();
        assert!(names_ip_directly("v=spf1 ip6:2001:db8::/32 -all", v6).is_some());
        assert!(names_ip_directly("v=spf1 ip4:0.0.0.0/0 -all", v6).is_none());
        assert!(in_network(ip, "0.0.0.0/0"));
        assert_eq!(
            naming_mechanisms("v=spf1 a mx:mail.example.org/24 a:web.example.org ~mx ip4:bad"),
            [
                Names::A(None),
                Names::Mx(Some("mail.example.org".into())),
                Names::A(Some("web.example.org".into())),
                Names::Ip("bad".into()),
            ]
        );
    }
}
