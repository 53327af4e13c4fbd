//! DNS blocklists: the IP the servers see, reversed, looked up under each list's zone
//! (`9.113.0.203.zen.spamhaus.org`). NXDOMAIN: not listed. An answer in 127.0.0.0/8: listed,
//! with what the list says its code means; except Spamhaus's 127.255.255.252/254/255, which
//! mean "no verdict for you" (a typo in the zone, a query through a public or open resolver,
//! too many queries): that is "could not check", never "listed".

use std::net::{IpAddr, Ipv4Addr};

use crate::engine::dns::{DnsFailure, reversed_labels};
use crate::engine::net::Net;

use super::report::Check;

/// The check's name.
pub const NAME: &str = "blocklist";

/// What one answer of a blocklist means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// Listed, and what the code says.
    Listed(String),
    /// The list refused to give a verdict, and why.
    NoVerdict(String),
    /// Not a blocklist answer at all (outside 127.0.0.0/8: a resolver that rewrites NXDOMAIN).
    NotAnAnswer,
}

/// The name to look up: `ip` reversed under `zone`.
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    format!("{}.{}", reversed_labels(ip), zone.trim_end_matches('.'))
}

fn is_zone(zone: &str, list: &str) -> bool {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    zone == list || zone.ends_with(&format!(".{list}"))
}

/// What `answer` from `zone` means.
pub fn meaning(zone: &str, answer: Ipv4Addr) -> Meaning {
    let [a, b, c, d] = answer.octets();
    if a != 127 {
        return Meaning::NotAnAnswer;
    }
    if is_zone(zone, "spamhaus.org") {
        return match (b, c, d) {
            (255, 255, 252) => Meaning::NoVerdict("typing error in the DNSBL name".into()),
            (255, 255, 254) => Meaning::NoVerdict(
                "the query came through a public or open resolver, which Spamhaus does not answer"
                    .into(),
            ),
            (255, 255, 255) => Meaning::NoVerdict("excessive number of queries".into()),
            (0, 0, 2) => Meaning::Listed("SBL: a known source of spam".into()),
            (0, 0, 3) => Meaning::Listed("SBL CSS: snowshoe spam".into()),
            (0, 0, 4..=7) => Meaning::Listed("XBL: an exploited or infected host".into()),
            (0, 0, 9) => Meaning::Listed("SBL DROP: a hijacked or rogue network".into()),
            (0, 0, 10 | 11) => Meaning::Listed(
                "PBL: an end-user address range that should not send mail to port 25 directly"
                    .into(),
            ),
            _ => Meaning::Listed(format!("listed ({answer})")),
        };
    }
    if is_zone(zone, "barracudacentral.org") || is_zone(zone, "spamcop.net") {
        return match (b, c, d) {
            (0, 0, 2) => Meaning::Listed("listed".into()),
            _ => Meaning::Listed(format!("listed ({answer})")),
        };
    }
    Meaning::Listed(format!("listed ({answer})"))
}

/// Where to ask for removal from `zone`.
pub fn removal(zone: &str) -> String {
    if is_zone(zone, "spamhaus.org") {
        "https://check.spamhaus.org/ (look the IP up there, fix the cause, then ask for removal)"
            .into()
    } else if is_zone(zone, "barracudacentral.org") {
        "https://www.barracudacentral.org/rbl/removal-request".into()
    } else if is_zone(zone, "spamcop.net") {
        "https://www.spamcop.net/bl.shtml (listings expire by themselves 24 hours after the spam stops)".into()
    } else {
        format!("the website of {zone}")
    }
}

/// Looks `ip` up on `zone`.
pub async fn check(net: &Net, ip: IpAddr, zone: &str) -> Check {
    let name = query_name(ip, zone);
    let answers = match net.dns.a_records(&name).await {
        Ok(answers) => answers,
        Err(DnsFailure::NoSuchName | DnsFailure::NoAddresses) => {
            return Check::pass(NAME, format!("{ip} is not on {zone}"));
        }
        Err(failure) => {
            return Check::warn(
                NAME,
                format!("could not check {zone}: {failure}"),
                "try again, or another resolver (--dns IP)",
            );
        }
    };
    let meanings: Vec<(Ipv4Addr, Meaning)> =
        answers.iter().map(|a| (*a, meaning(zone, *a))).collect();
    let listed: Vec<String> = meanings
        .iter()
        .filter_map(|(a, m)| match m {
            Meaning::Listed(what) => Some(format!("{a} {what}")),
            _ => None,
        })
        .collect();
    if !listed.is_empty() {
        return Check::fail(
            NAME,
            format!("{ip} is listed on {zone}: {}", listed.join("; ")),
            format!(
                "servers that use {zone} refuse this IP: see {}",
                removal(zone)
            ),
        );
    }
    match meanings.first() {
        Some((answer, Meaning::NoVerdict(why))) => Check::warn(
            NAME,
            format!("could not check {zone}: it answered {answer}: {why}"),
            format!("ask {zone} through a resolver of your own (--dns IP), not a public one"),
        ),
        _ => Check::warn(
            NAME,
            format!(
                "could not check {zone}: it answered {}, which is no blocklist answer (a resolver that rewrites NXDOMAIN?)",
                answers.first().map(ToString::to_string).unwrap_or_default()
            ),
            "use a resolver that does not rewrite answers (--dns IP)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn doctor_knows_what_blocklist_answers_mean() {
        let listed = |zone, answer| match meaning(zone, ip(answer)) {
            Meaning::Listed(what) => what,
            other => panic!("{zone} {answer}: {other:?}"),
        };
        assert!(listed("zen.spamhaus.org", "127.0.0.2").starts_with("SBL:"));
        assert!(listed("zen.spamhaus.org", "127.0.0.3").starts_with("SBL CSS"));
        for xbl in ["127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7"] {
            assert!(listed("zen.spamhaus.org", xbl).starts_with("XBL"), "{xbl}");
        }
        assert!(listed("zen.spamhaus.org", "127.0.0.10").starts_with("PBL"));
        assert!(listed("ZEN.Spamhaus.org.", "127.0.0.11").starts_with("PBL"));
        assert_eq!(listed("b.barracudacentral.org", "127.0.0.2"), "listed");
        assert_eq!(listed("bl.spamcop.net", "127.0.0.2"), "listed");
        assert_eq!(listed("dnsbl.lab.test", "127.0.0.2"), "listed (127.0.0.2)");
        for refused in ["127.255.255.252", "127.255.255.254", "127.255.255.255"] {
            assert!(
                matches!(
                    meaning("zen.spamhaus.org", ip(refused)),
                    Meaning::NoVerdict(_)
                ),
                "{refused}"
            );
        }
        match meaning("zen.spamhaus.org", ip("127.255.255.254")) {
            Meaning::NoVerdict(why) => assert!(why.contains("public or open resolver")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            meaning("zen.spamhaus.org", ip("198.51.100.7")),
            Meaning::NotAnAnswer
        );
    }

    #[test]
    fn doctor_builds_blocklist_query_names() {
        assert_eq!(
            query_name("203.0.113.9".parse().unwrap(), "zen.spamhaus.org."),
            "9.113.0.203.zen.spamhaus.org"
        );
        assert!(
            query_name("2001:db8::1".parse().unwrap(), "zen.spamhaus.org")
                .starts_with("1.0.0.0.0.0.0.0")
        );
        assert!(removal("zen.spamhaus.org").contains("check.spamhaus.org"));
        assert!(removal("bl.spamcop.net").contains("spamcop.net"));
    }
}
