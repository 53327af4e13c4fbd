//! The doctor: is this machine fit to verify addresses? When every address comes back
//! unknown, the problem is often not the mail servers but us: port 25 blocked, an IP without
//! reverse DNS or on a blocklist, a HELO name that does not resolve, a sender that servers
//! refuse. Each check says pass / warn / fail (or skipped, and why) with a one-line fix. The
//! command (`mxknock doctor`, in `cli::doctor`) prints the report or its JSON; the TUI (key D)
//! runs it in the background through [`DoctorRunner`] and shows it in a window.
//!
//! One module per job: [`probe`] talks to the mail servers (port 25, greeting, EHLO, MAIL
//! FROM), [`ip_seen`] works out the IP they see, [`rdns`], [`helo`], [`dnsbl`] and [`sender`]
//! (with [`spf`]) check it and our names in DNS, [`report`] holds the findings and the exit
//! rule, [`human`] writes them as text. The probes use the same [`Net`] as `check` (so `--demo`,
//! `--proxy`, `--bind`, `--dns`, `--server`, `--smtp-port` and `--timeout` apply alike) and the
//! engine's SMTP session (bounded, sanitised replies; there is no DATA to send).

pub mod dnsbl;
pub mod helo;
pub mod human;
pub mod ip_seen;
pub mod probe;
pub mod rdns;
pub mod report;
pub mod sender;
pub mod spf;

use std::net::IpAddr;
use std::sync::Arc;

use crate::config::{Config, EngineConfig};
use crate::engine::net::Net;
pub use probe::Target;
pub use report::{Check, DoctorReport, Status};

/// What is probed when no domain is given: the `--server` if there is one, else
/// `engine.probe_domains`; in the lab, whose DNS knows none of the providers, `probe.test`
/// stands in for the default providers.
pub fn targets(config: &Config, domains: &[String], demo: bool) -> Result<Vec<Target>, String> {
    if let Some(server) = config.smtp.server.as_deref().filter(|s| !s.is_empty()) {
        return Ok(vec![Target::Server(crate::config::parse_server(server)?)]);
    }
    let given: Vec<String> = if domains.is_empty() {
        let defaults = EngineConfig::default().probe_domains;
        if demo && config.engine.probe_domains == defaults {
            vec!["probe.test".to_string()]
        } else {
            config.engine.probe_domains.clone()
        }
    } else {
        domains.to_vec()
    };
    if given.is_empty() {
        return Err("nothing to probe: give a DOMAIN, or set engine.probe_domains".into());
    }
    let mut out: Vec<Target> = Vec::new();
    for text in &given {
        let target = Target::Domain(domain_of(text)?);
        if !out.contains(&target) {
            out.push(target);
        }
    }
    Ok(out)
}

/// A domain argument (an address's domain is taken too) in A-label form, or why not.
fn domain_of(text: &str) -> Result<String, String> {
    let domain = text.rsplit_once('@').map_or(text, |(_, d)| d).trim();
    let ascii = idna::domain_to_ascii(domain.trim_end_matches('.'))
        .map_err(|_| format!("{text:?} is not a domain name"))?;
    if ascii.parse::<IpAddr>().is_ok() || !ascii.contains('.') {
        return Err(format!(
            "{text:?} is not a domain name (to probe one server, use --server HOST)"
        ));
    }
    crate::config::parse_server(&ascii).map_err(|_| format!("{text:?} is not a domain name"))
}

/// The proxy's address and how it is shown, when one is used: its IP, or its name resolved.
async fn proxy_address(net: &Net) -> Option<(IpAddr, String)> {
    let proxy = net.proxy.as_ref()?;
    let host = proxy.endpoint.rsplit_once(':').map_or("", |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => *net.dns.host_ips(host).await.ok()?.first()?,
    };
    Some((ip, proxy.shown()))
}

/// Runs every check and gathers the report.
pub async fn diagnose(config: &Config, net: &Net, targets: &[Target]) -> DoctorReport {
    let net = &Net {
        dns: net.dns.without_hosts_file(),
        ..net.clone()
    };
    let helo = config.helo_name();
    let from = config.smtp.from.clone();
    let probes = probe::probe_all(targets, config, net, &helo).await;
    let proxy = proxy_address(net).await;
    let shown_proxy = net.proxy.as_ref().map(|p| p.shown());
    let seen = ip_seen::decide(&probes, proxy);
    let mut checks = probe::checks(&probes, shown_proxy.as_deref(), &helo);
    checks.push(ip_seen::check(seen.as_ref()));
    let ip = seen.as_ref().and_then(ip_seen::Seen::public_ip);
    let why_no_ip = match &seen {
        None => "no mail server answered, so the IP they see is not known",
        Some(_) => "the public IP the servers see is not known (see IP seen)",
    };
    let names = async {
        let (rdns, ptr) = match ip {
            Some(ip) => rdns::check(net, ip).await,
            None => (rdns::skipped(why_no_ip), rdns::Ptr::default()),
        };
        let helo = helo::check(net, &helo, ip, &ptr).await;
        (rdns, helo)
    };
    let lists = async {
        match ip {
            Some(ip) => {
                futures::future::join_all(
                    config
                        .doctor
                        .blocklists
                        .iter()
                        .map(|zone| dnsbl::check(net, ip, zone)),
                )
                .await
            }
            None if config.doctor.blocklists.is_empty() => Vec::new(),
            None => vec![Check::skipped(dnsbl::NAME, why_no_ip)],
        }
    };
    let sender_domain = sender::domain_check(net, &from);
    let spf = sender::spf_check(net, &from, ip);
    let ((rdns, helo_check), lists, sender_domain, spf) =
        tokio::join!(names, lists, sender_domain, spf);
    checks.push(rdns);
    checks.push(helo_check);
    checks.extend(lists);
    checks.push(sender::mail_from_check(&probes, &from));
    checks.push(sender_domain);
    checks.push(spf);
    let mut report = DoctorReport::new(checks);
    report.ip_seen = seen.as_ref().map(|s| s.ip);
    report.ip_source = seen.as_ref().map(|s| s.source);
    report.helo = helo;
    report.from = from;
    report.probes = probes.iter().map(probe::Probe::summary).collect();
    report
}

/// Runs the doctor in the background for the TUI, with the run's configuration and network.
#[derive(Clone)]
pub struct DoctorRunner {
    config: Arc<Config>,
    net: Net,
    targets: Vec<Target>,
}

impl DoctorRunner {
    /// A runner probing what `mxknock doctor` without arguments would.
    pub fn new(config: Arc<Config>, net: Net, demo: bool) -> Result<DoctorRunner, String> {
        let targets = targets(&config, &[], demo)?;
        Ok(DoctorRunner {
            config,
            net,
            targets,
        })
    }

    /// Starts a run; the handle yields its report.
    pub fn spawn(&self) -> tokio::task::JoinHandle<DoctorReport> {
        let runner = self.clone();
        tokio::spawn(async move { diagnose(&runner.config, &runner.net, &runner.targets).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_targets_are_domains_the_server_or_the_lab_stand_in() {
        let config = Config::default();
        let domains = |t: Vec<Target>| -> Vec<String> {
            t.into_iter()
                .map(|t| match t {
                    Target::Domain(d) | Target::Server(d) => d,
                })
                .collect()
        };
        assert_eq!(
            domains(targets(&config, &[], false).unwrap()),
            ["gmail.com", "outlook.com", "yahoo.com"]
        );
        assert_eq!(
            domains(targets(&config, &[], true).unwrap()),
            ["probe.test"]
        );
        let given = [
            "Bob@Bücher.Example".to_string(),
            "lab.test.".to_string(),
            "lab.test".to_string(),
        ];
        assert_eq!(
            domains(targets(&config, &given, true).unwrap()),
            ["xn--bcher-kva.example", "lab.test"]
        );
        for bad in ["localhost", "127.0.0.1", "a b.test", "x@", "mx.test:25"] {
            assert!(
                targets(&config, &[bad.to_string()], false).is_err(),
                "{bad}"
            );
        }
        let mut with_server = Config::default();
        with_server.smtp.server = Some("MX1.lab.test".into());
        assert_eq!(
            targets(&with_server, &given, false).unwrap(),
            [Target::Server("mx1.lab.test".into())]
        );
    }
}
