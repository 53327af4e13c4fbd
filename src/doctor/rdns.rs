//! Reverse DNS of the IP the servers see: a PTR record exists, and it is forward-confirmed
//! (the name resolves back to the IP). Postfix's `reject_unknown_client_hostname` and the
//! large providers refuse clients without it. A loopback address (the lab's) is skipped:
//! resolvers answer its PTR themselves (RFC 6761).

use std::net::IpAddr;

use crate::engine::dns::{DnsFailure, reverse_name};
use crate::engine::net::Net;

use super::report::Check;

/// The check's name.
pub const NAME: &str = "rDNS";

/// What reverse DNS says, for the HELO check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ptr {
    /// The forward-confirmed PTR name, if there is one.
    pub confirmed: Option<String>,
    /// The PTR names found.
    pub names: Vec<String>,
}

/// Looks up the PTR of `ip` and the addresses of its names.
pub async fn check(net: &Net, ip: IpAddr) -> (Check, Ptr) {
    if ip.is_loopback() {
        // RFC 6761: resolvers answer the PTR of a loopback address themselves (`localhost`)
        // and never ask DNS; nothing of ours to check (only the lab sees us on loopback).
        let why = format!("{ip} is a loopback address, which has no reverse DNS of its own");
        return (Check::skipped(NAME, why), Ptr::default());
    }
    let fix_ptr = "ask whoever runs this IP (the hosting or network provider) to set a PTR record naming this host, e.g. verifier.example.org, give that name an A record, and use it as --helo";
    let names = match net.dns.ptr_names(ip).await {
        Ok(names) => names,
        Err(DnsFailure::NoSuchName | DnsFailure::NoAddresses) => {
            let summary = format!("{ip} has no PTR record ({})", reverse_name(ip));
            return (Check::fail(NAME, summary, fix_ptr), Ptr::default());
        }
        Err(failure) => {
            return (
                Check::warn(
                    NAME,
                    format!("could not look up the PTR record of {ip}: {failure}"),
                    "try again, or another resolver (--dns IP)",
                ),
                Ptr::default(),
            );
        }
    };
    let mut resolved = Vec::new();
    for name in names.iter().take(5) {
        match net.dns.host_ips(name).await {
            Ok(ips) if ips.contains(&ip) => {
                let check = Check::pass(
                    NAME,
                    format!("{ip} is {name}, which resolves back to {ip} (forward-confirmed)"),
                );
                let ptr = Ptr {
                    confirmed: Some(name.clone()),
                    names,
                };
                return (check, ptr);
            }
            Ok(ips) => resolved.push(format!(
                "{name} resolves to {}",
                ips.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Err(failure) => resolved.push(format!("{name}: {failure}")),
        }
    }
    let first = names.first().cloned().unwrap_or_default();
    let check = Check::fail(
        NAME,
        format!(
            "{ip} is {first}, but that is not forward-confirmed: {}",
            resolved.join("; ")
        ),
        format!(
            "give {first} an A/AAAA record pointing at {ip}, or have the PTR record changed to a name that does"
        ),
    );
    (
        check,
        Ptr {
            confirmed: None,
            names,
        },
    )
}

/// The line when there is no IP to look up.
pub fn skipped(why: &str) -> Check {
    Check::skipped(NAME, why.to_string())
}
