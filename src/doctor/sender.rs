//! MAIL FROM: what the probed servers said to the configured sender (the null sender `<>`
//! is refused by some servers: a warning), whether the sender's domain exists and accepts
//! mail (MX or A; Postfix `reject_unknown_sender_domain`), and whether its SPF record names
//! the IP seen (a simple check: `ip4:`, `ip6:`, `a`, `mx`; not a full SPF evaluation).

use std::net::IpAddr;

use crate::engine::dns::{DnsFailure, MailHosts};
use crate::engine::net::Net;

use super::probe::{Probe, one_line};
use super::report::Check;
use super::spf::{self, Names};

/// The names of the checks.
pub const MAIL_FROM: &str = "MAIL FROM";
/// The sender domain check.
pub const DOMAIN: &str = "sender domain";
/// The SPF check.
pub const SPF: &str = "SPF";

/// What to do about the null sender.
const SET_FROM: &str =
    "set --from (smtp.from) to an address of a domain you control, whose SPF record names this IP";

/// The domain of the sender `from` (A-label form), or None for the null sender.
pub fn sender_domain(from: &str) -> Option<String> {
    let (_, domain) = from.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    Some(idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_ascii_lowercase()))
}

/// The line for MAIL FROM, from what each probed server answered.
pub fn mail_from_check(probes: &[Probe], from: &str) -> Check {
    let shown = if from.is_empty() {
        "MAIL FROM:<> (the null sender)".to_string()
    } else {
        format!("MAIL FROM:<{from}>")
    };
    let answered: Vec<&Probe> = probes.iter().filter(|p| p.mail_from.is_some()).collect();
    if answered.is_empty() {
        let why = probes
            .iter()
            .find_map(|p| p.mail_from_skipped.clone())
            .unwrap_or_else(|| "no server got as far as MAIL FROM".into());
        return Check::skipped(MAIL_FROM, format!("{shown} not tried: {why}"));
    }
    let refused: Vec<String> = answered
        .iter()
        .filter_map(|p| {
            let reply = p.mail_from.as_ref()?;
            (!reply.is_positive())
                .then(|| format!("{} answered \"{}\"", p.shown_host(), one_line(reply)))
        })
        .collect();
    let accepted: Vec<String> = answered
        .iter()
        .filter(|p| p.mail_from.as_ref().is_some_and(|r| r.is_positive()))
        .map(|p| p.shown_host())
        .collect();
    if !refused.is_empty() {
        let fix = if from.is_empty() {
            SET_FROM.to_string()
        } else {
            "the reply often says why; see the sender domain and SPF checks".to_string()
        };
        return Check::fail(
            MAIL_FROM,
            format!("{shown} refused: {}", refused.join("; ")),
            fix,
        );
    }
    let by = accepted.join(", ");
    if from.is_empty() {
        Check::warn(
            MAIL_FROM,
            format!("{shown} accepted by {by}, but some servers refuse the null sender"),
            SET_FROM,
        )
    } else {
        Check::pass(MAIL_FROM, format!("{shown} accepted by {by}"))
    }
}

/// Whether the sender's domain exists and accepts mail.
pub async fn domain_check(net: &Net, from: &str) -> Check {
    let Some(domain) = sender_domain(from) else {
        return Check::skipped(
            DOMAIN,
            "no sender configured (the null sender <> has no domain)",
        );
    };
    let fix = "send as an address of a domain of yours that exists and has an MX record: --from you@your-domain.example";
    match net.dns.mail_hosts(&domain).await {
        MailHosts::Hosts(hosts) => {
            let first = hosts.first().map(|h| (h.host.clone(), h.implicit));
            match first {
                Some((_, true)) => Check::pass(
                    DOMAIN,
                    format!("{domain} accepts mail (no MX, but an address: implicit MX)"),
                ),
                Some((host, false)) => {
                    Check::pass(DOMAIN, format!("{domain} accepts mail (MX {host})"))
                }
                None => Check::fail(DOMAIN, format!("{domain} has no mail host"), fix),
            }
        }
        MailHosts::NullMx => Check::fail(
            DOMAIN,
            format!(
                "{domain} publishes a null MX: it accepts no mail, so servers refuse it as a sender"
            ),
            fix,
        ),
        MailHosts::NoSuchDomain => Check::fail(
            DOMAIN,
            format!("{domain} does not exist (Postfix reject_unknown_sender_domain refuses it)"),
            fix,
        ),
        MailHosts::NoMailServer => Check::fail(
            DOMAIN,
            format!(
                "{domain} has no MX and no address (Postfix reject_unknown_sender_domain refuses it)"
            ),
            fix,
        ),
        MailHosts::Failed(failure) => Check::warn(
            DOMAIN,
            format!("could not look up {domain}: {failure}"),
            "try again, or another resolver (--dns IP)",
        ),
    }
}

/// Whether the sender's domain has an SPF record, and whether it names `ip`.
pub async fn spf_check(net: &Net, from: &str, ip: Option<IpAddr>) -> Check {
    let Some(domain) = sender_domain(from) else {
        return Check::skipped(
            SPF,
            "no sender configured (the null sender <> has no domain)",
        );
    };
    let simple = "a simple check, not a full SPF evaluation";
    let publish = match ip {
        Some(IpAddr::V4(v4)) => format!("publish TXT \"v=spf1 ip4:{v4} -all\" at {domain}"),
        Some(IpAddr::V6(v6)) => format!("publish TXT \"v=spf1 ip6:{v6} -all\" at {domain}"),
        None => format!("publish an SPF record (TXT \"v=spf1 ...\") at {domain}"),
    };
    let txts = match net.dns.txt_records(&domain).await {
        Ok(txts) => txts,
        Err(DnsFailure::NoSuchName | DnsFailure::NoAddresses) => Vec::new(),
        Err(failure) => {
            return Check::warn(
                SPF,
                format!("could not look up the TXT records of {domain}: {failure}"),
                "try again, or another resolver (--dns IP)",
            );
        }
    };
    let records = spf::spf_records(&txts);
    let record = match records.as_slice() {
        [] => return Check::warn(SPF, format!("{domain} has no SPF record"), publish),
        [one] => *one,
        many => {
            return Check::warn(
                SPF,
                format!(
                    "{domain} has {} SPF records: a permanent error (RFC 7208 4.5)",
                    many.len()
                ),
                "merge them into one TXT record",
            );
        }
    };
    let Some(ip) = ip else {
        return Check::pass(
            SPF,
            format!("{domain} has an SPF record; the IP seen is not known, so not compared"),
        );
    };
    if let Some(term) = spf::names_ip_directly(record, ip) {
        return Check::pass(
            SPF,
            format!("the SPF record of {domain} names {ip} ({term}; {simple})"),
        );
    }
    for mechanism in spf::naming_mechanisms(record).into_iter().take(10) {
        let (term, found) = match &mechanism {
            Names::A(target) => {
                let host = target.clone().unwrap_or_else(|| domain.clone());
                let found = net
                    .dns
                    .host_ips(&host)
                    .await
                    .is_ok_and(|ips| ips.contains(&ip));
                (format!("a:{host}"), found)
            }
            Names::Mx(target) => {
                let mx_domain = target.clone().unwrap_or_else(|| domain.clone());
                let mut found = false;
                if let MailHosts::Hosts(hosts) = net.dns.mail_hosts(&mx_domain).await {
                    for host in hosts.iter().take(10) {
                        if net
                            .dns
                            .host_ips(&host.host)
                            .await
                            .is_ok_and(|ips| ips.contains(&ip))
                        {
                            found = true;
                            break;
                        }
                    }
                }
                (format!("mx:{mx_domain}"), found)
            }
            Names::Ip(_) => continue,
        };
        if found {
            return Check::pass(
                SPF,
                format!("the SPF record of {domain} names {ip} ({term}; {simple})"),
            );
        }
    }
    Check::warn(
        SPF,
        format!(
            "the SPF record of {domain} does not name {ip} through ip4:, ip6:, a or mx (include: and redirect= not followed; {simple}): \"{record}\""
        ),
        format!(
            "add {}:{ip} to the SPF record of {domain}, unless an include: already covers it",
            if ip.is_ipv4() { "ip4" } else { "ip6" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::probe::Outcome;
    use crate::doctor::report::Status;
    use crate::engine::smtp::reply::Reply;

    fn answered(code: u16) -> Probe {
        let mut probe = Probe {
            host: Some("mx.example".into()),
            ip: Some("192.0.2.25".parse().unwrap()),
            outcome: Outcome::Answered,
            ..Probe::new("example.org")
        };
        probe.mail_from = Some(Reply {
            code,
            enhanced: None,
            lines: vec!["x".into()],
        });
        probe
    }

    #[test]
    fn doctor_warns_about_the_null_sender_and_fails_a_refused_one() {
        let ok = mail_from_check(&[answered(250)], "");
        assert_eq!(ok.status, Status::Warn);
        assert!(ok.summary.contains("null sender"), "{}", ok.summary);
        assert_eq!(
            mail_from_check(&[answered(250)], "me@example.org").status,
            Status::Pass
        );
        let refused = mail_from_check(&[answered(250), answered(550)], "");
        assert_eq!(refused.status, Status::Fail);
        assert!(refused.summary.contains("\"550 x\""), "{}", refused.summary);
        assert_eq!(mail_from_check(&[], "").status, Status::Skipped);
        assert_eq!(
            sender_domain("me@Bücher.example").as_deref(),
            Some("xn--bcher-kva.example")
        );
        assert_eq!(sender_domain(""), None);
    }
}
