//! Outbound port 25: dial the first MX host of each probed domain (or the `--server`), all at
//! once, read the greeting, EHLO with the configured name (STARTTLS as configured), MAIL FROM
//! with the configured sender, QUIT. Never RCPT, never DATA. The engine's [`Net`] dials (lab,
//! proxy and `--bind` alike) and its [`Session`] speaks, so every reply is bounded and
//! sanitised.

use std::io::ErrorKind;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::config::{Config, StartTlsMode};
use crate::engine::dns::MailHosts;
use crate::engine::emit::Emitter;
use crate::engine::net::Net;
use crate::engine::session::open::reachable_ip;
use crate::engine::smtp::command::Command;
use crate::engine::smtp::reply::Reply;
use crate::engine::smtp::session::{Session, Timeouts};

use super::ip_seen;
use super::report::{Check, ProbeSummary};

/// The check's name.
pub const NAME: &str = "port 25";

/// What to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The first MX host of this domain.
    Domain(String),
    /// This server (`--server`), host name or IP.
    Server(String),
}

/// How a probe ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server greeted with 220 and the session went on.
    Answered,
    /// The server greeted with a refusal (421, 554 ...): it turns us away.
    RefusedUs,
    /// The TCP connection was refused.
    ConnectionRefused,
    /// The TCP connect timed out.
    TimedOut,
    /// The TCP connect failed otherwise (network unreachable ...).
    ConnectError(String),
    /// Connected, but the SMTP session broke (no greeting in time, closed ...).
    SessionError(String),
    /// The domain has no mail host to probe (NXDOMAIN, null MX ...).
    NoMailHost(String),
    /// DNS gave no answer.
    DnsFailed(String),
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::RefusedUs => "refused_us",
            Outcome::ConnectionRefused => "connection_refused",
            Outcome::TimedOut => "timed_out",
            Outcome::ConnectError(_) => "connect_error",
            Outcome::SessionError(_) => "session_error",
            Outcome::NoMailHost(_) => "no_mail_host",
            Outcome::DnsFailed(_) => "dns_failed",
        }
    }

    /// Whether the TCP connect did not get through (what a blocked port 25 looks like).
    fn unreachable(&self) -> bool {
        matches!(
            self,
            Outcome::ConnectionRefused | Outcome::TimedOut | Outcome::ConnectError(_)
        )
    }
}

/// What one probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The domain (or server) probed.
    pub target: String,
    /// Other domains whose first MX is the same server.
    pub also_for: Vec<String>,
    /// The mail host dialled.
    pub host: Option<String>,
    /// Its address.
    pub ip: Option<IpAddr>,
    /// How it ended.
    pub outcome: Outcome,
    /// The greeting.
    pub greeting: Option<Reply>,
    /// The reply to EHLO (or HELO).
    pub ehlo: Option<Reply>,
    /// The reply to MAIL FROM, when it was sent.
    pub mail_from: Option<Reply>,
    /// Why MAIL FROM was not sent after a good EHLO (a failed STARTTLS ...).
    pub mail_from_skipped: Option<String>,
    /// The address the server named as ours.
    pub named_ip: Option<IpAddr>,
    /// The local address of the connection.
    pub local: Option<IpAddr>,
    /// How long the probe took.
    pub elapsed: Duration,
}

impl Probe {
    /// A probe of `target` before anything was tried.
    pub(crate) fn new(target: &str) -> Probe {
        Probe {
            target: target.to_string(),
            also_for: Vec::new(),
            host: None,
            ip: None,
            outcome: Outcome::Answered,
            greeting: None,
            ehlo: None,
            mail_from: None,
            mail_from_skipped: None,
            named_ip: None,
            local: None,
            elapsed: Duration::ZERO,
        }
    }

    /// `host[ip]`, or the target alone.
    pub fn shown_host(&self) -> String {
        match (&self.host, self.ip) {
            (Some(host), Some(ip)) if host != &ip.to_string() => format!("{host}[{ip}]"),
            (_, Some(ip)) => format!("[{ip}]"),
            (Some(host), None) => host.clone(),
            (None, None) => self.target.clone(),
        }
    }

    /// Whether a TCP connection was made.
    pub fn connected(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Answered | Outcome::RefusedUs | Outcome::SessionError(_)
        )
    }

    /// The summary for the JSON report.
    pub fn summary(&self) -> ProbeSummary {
        ProbeSummary {
            domain: self.target.clone(),
            also_for: self.also_for.clone(),
            host: self.host.clone(),
            ip: self.ip,
            outcome: self.outcome.word(),
            greeting: self.greeting.as_ref().map(one_line),
            ehlo: self.ehlo.as_ref().map(one_line),
            mail_from: self.mail_from.as_ref().map(one_line),
        }
    }
}

/// A reply as one line: `250 mx.example Hello (+4 more lines)`.
pub fn one_line(reply: &Reply) -> String {
    reply.to_string()
}

/// Resolves the target to the host and address to dial.
async fn resolve(
    target: &Target,
    net: &Net,
    bind: Option<IpAddr>,
) -> Result<(String, IpAddr), Outcome> {
    let host = match target {
        Target::Server(server) => {
            if let Ok(ip) = server.parse::<IpAddr>() {
                return Ok((server.clone(), ip));
            }
            server.clone()
        }
        Target::Domain(domain) => match net.dns.mail_hosts(domain).await {
            MailHosts::Hosts(hosts) => match hosts.into_iter().next() {
                Some(first) => first.host,
                None => return Err(Outcome::NoMailHost("no MX host".into())),
            },
            MailHosts::NullMx => {
                return Err(Outcome::NoMailHost(
                    "publishes a null MX (it accepts no mail)".into(),
                ));
            }
            MailHosts::NoSuchDomain => {
                return Err(Outcome::NoMailHost("does not exist (NXDOMAIN)".into()));
            }
            MailHosts::NoMailServer => {
                return Err(Outcome::NoMailHost("has no MX and no address".into()));
            }
            MailHosts::Failed(failure) => return Err(Outcome::DnsFailed(failure.to_string())),
        },
    };
    match net.dns.host_ips(&host).await {
        Ok(ips) => match reachable_ip(&ips, bind) {
            Some(ip) => Ok((host, ip)),
            None => Err(Outcome::NoMailHost(format!(
                "{host} has no address of the --bind address's IP version"
            ))),
        },
        Err(failure) => Err(Outcome::DnsFailed(format!("{host}: {failure}"))),
    }
}

/// Probes every target at once: resolves them all, then speaks to each mail server once
/// (targets whose first MX is the same server share its probe: see [`Probe::also_for`]).
pub async fn probe_all(targets: &[Target], config: &Config, net: &Net, helo: &str) -> Vec<Probe> {
    let bind = net.dialer.bind();
    let resolved = futures::future::join_all(targets.iter().map(|target| async move {
        let started = Instant::now();
        let name = match target {
            Target::Domain(d) | Target::Server(d) => d,
        };
        let mut probe = Probe::new(name);
        match resolve(target, net, bind).await {
            Ok((host, ip)) => {
                probe.host = Some(host);
                probe.ip = Some(ip);
            }
            Err(outcome) => probe.outcome = outcome,
        }
        probe.elapsed = started.elapsed();
        probe
    }))
    .await;
    let mut probes: Vec<Probe> = Vec::new();
    for probe in resolved {
        match probes
            .iter_mut()
            .find(|p| p.ip.is_some() && p.ip == probe.ip)
        {
            Some(same) => same.also_for.push(probe.target),
            None => probes.push(probe),
        }
    }
    futures::future::join_all(probes.into_iter().map(|mut probe| async move {
        if let (Some(host), Some(ip)) = (probe.host.clone(), probe.ip) {
            let started = Instant::now();
            if net.proxy.is_none() {
                probe.local = net
                    .dialer
                    .target(ip)
                    .ok()
                    .and_then(|to| ip_seen::local_address_for(to, bind));
            }
            converse(&mut probe, &host, ip, config, net, helo).await;
            probe.elapsed += started.elapsed();
        }
        probe
    }))
    .await
}

async fn converse(
    probe: &mut Probe,
    host: &str,
    ip: IpAddr,
    config: &Config,
    net: &Net,
    helo: &str,
) {
    let connected = match net
        .connect(host, ip, Config::secs(config.smtp.connect_timeout))
        .await
    {
        Ok(connected) => connected,
        Err(e) => {
            probe.outcome = match e.kind() {
                ErrorKind::TimedOut => Outcome::TimedOut,
                ErrorKind::ConnectionRefused => Outcome::ConnectionRefused,
                _ => Outcome::ConnectError(e.to_string()),
            };
            return;
        }
    };
    let timeouts = Timeouts {
        greeting: Config::secs(config.smtp.greeting_timeout),
        command: Config::secs(config.smtp.command_timeout),
    };
    let (mut session, greeting) =
        match Session::open(connected.io, Emitter::detached(), timeouts).await {
            Ok(opened) => opened,
            Err(e) => {
                probe.outcome = Outcome::SessionError(e.to_string());
                return;
            }
        };
    let refused = greeting.code != 220;
    if refused {
        // "Client host [203.0.113.9] blocked ...": a refusal often names who it refuses.
        probe.named_ip =
            ip_seen::named_by_server([], greeting.lines.iter().map(String::as_str), Some(ip));
    }
    probe.greeting = Some(greeting);
    if refused {
        probe.outcome = Outcome::RefusedUs;
        session.quit().await;
        return;
    }
    let ehlo = match session.ehlo(helo).await {
        Ok(reply) => reply,
        Err(e) => {
            probe.outcome = Outcome::SessionError(format!("after EHLO: {e}"));
            return;
        }
    };
    let ehlo_ok = ehlo.is_positive();
    probe.named_ip = ip_seen::named_by_server(
        ehlo.lines.iter().map(String::as_str),
        probe
            .greeting
            .iter()
            .flat_map(|g| g.lines.iter().map(String::as_str)),
        Some(ip),
    );
    probe.ehlo = Some(ehlo);
    if !ehlo_ok {
        session.quit().await;
        return;
    }
    if config.smtp.starttls != StartTlsMode::Never && session.offers("STARTTLS") {
        session = match start_tls(session, host, helo).await {
            Ok(session) => session,
            Err(why) => {
                probe.mail_from_skipped = Some(why);
                return;
            }
        };
    }
    let from = config.smtp.from.clone();
    let smtputf8 = !from.is_ascii() && session.offers("SMTPUTF8");
    match session
        .send(&Command::MailFrom {
            path: from,
            smtputf8,
        })
        .await
    {
        Ok(reply) => probe.mail_from = Some(reply),
        Err(e) => {
            probe.mail_from_skipped = Some(format!("MAIL FROM got no reply: {e}"));
            return;
        }
    }
    session.quit().await;
}

/// STARTTLS, the handshake and EHLO again; Err says why the session cannot go on.
async fn start_tls(mut session: Session, host: &str, helo: &str) -> Result<Session, String> {
    let reply = session
        .send(&Command::StartTls)
        .await
        .map_err(|e| format!("STARTTLS got no reply: {e}"))?;
    if !reply.is_positive() {
        // Refused: go on in plain text, as the engine does.
        return Ok(session);
    }
    let (mut session, _) = session
        .upgrade(host)
        .await
        .map_err(|e| format!("STARTTLS failed: {e}"))?;
    let ehlo = session
        .ehlo(helo)
        .await
        .map_err(|e| format!("EHLO inside TLS got no reply: {e}"))?;
    if !ehlo.is_positive() {
        return Err(format!("EHLO inside TLS refused: {}", one_line(&ehlo)));
    }
    Ok(session)
}

/// What to do when port 25 seems blocked.
fn blocked_fix(proxy: Option<&str>) -> String {
    let through = match proxy {
        Some(shown) => format!("the proxy {shown} does not get through to port 25 either; "),
        None => String::new(),
    };
    format!(
        "{through}outbound port 25 looks blocked on this network (most home, office and cloud networks block it): ask your provider to open it, run mxknock on a host that can reach port 25 or through one with --proxy socks5://HOST:PORT, or test a server of your own with --server HOST --smtp-port PORT"
    )
}

/// The port-25 lines, one per probe.
pub fn checks(probes: &[Probe], proxy: Option<&str>, helo: &str) -> Vec<Check> {
    let any_answered = probes.iter().any(Probe::connected);
    let all_dns_failed = probes
        .iter()
        .all(|p| matches!(p.outcome, Outcome::DnsFailed(_)));
    probes
        .iter()
        .map(|p| check(p, any_answered, all_dns_failed, proxy, helo))
        .collect()
}

fn check(
    probe: &Probe,
    any_answered: bool,
    all_dns_failed: bool,
    proxy: Option<&str>,
    helo: &str,
) -> Check {
    let who = probe.shown_host();
    let secs = probe.elapsed.as_secs_f64();
    match &probe.outcome {
        Outcome::Answered => {
            let greeting = probe.greeting.as_ref().map(one_line).unwrap_or_default();
            match &probe.ehlo {
                Some(ehlo) if !ehlo.is_positive() => Check::fail(
                    NAME,
                    format!(
                        "{who} answered {greeting}, but refused EHLO {helo}: {}",
                        one_line(ehlo)
                    ),
                    "the server does not like the HELO name: see the HELO check",
                ),
                _ => Check::pass(NAME, format!("{who} answered {greeting}")),
            }
        }
        Outcome::RefusedUs => {
            let greeting = probe.greeting.as_ref().map(one_line).unwrap_or_default();
            Check::fail(
                NAME,
                format!("{who} refused us: \"{greeting}\""),
                "the server turns this IP away before any command: its message often names the reason or a removal page; see the rDNS and blocklist checks",
            )
        }
        unreachable if unreachable.unreachable() => {
            let what = match unreachable {
                Outcome::TimedOut => {
                    format!("did not answer on port 25 (timed out after {secs:.1} s)")
                }
                Outcome::ConnectionRefused => "refused the connection on port 25".to_string(),
                Outcome::ConnectError(e) => format!("could not be reached on port 25: {e}"),
                _ => unreachable!("matched above"),
            };
            if any_answered {
                Check::warn(
                    NAME,
                    format!("{who} {what}, while other servers answered"),
                    "that server (or the way to it) is at fault, not this machine: try again later",
                )
            } else {
                Check::fail(NAME, format!("{who} {what}"), blocked_fix(proxy))
            }
        }
        Outcome::SessionError(e) => Check::warn(
            NAME,
            format!("{who} accepted the connection, but: {e}"),
            "a server that never greets may be a tarpit, or a network that intercepts port 25: try other domains (mxknock doctor DOMAIN...)",
        ),
        Outcome::NoMailHost(why) => Check::warn(
            NAME,
            format!("{}: nothing to probe: {why}", probe.target),
            "give domains whose mail servers to probe: mxknock doctor DOMAIN...",
        ),
        Outcome::DnsFailed(why) if all_dns_failed => Check::fail(
            NAME,
            format!("{}: DNS failed: {why}", probe.target),
            "no lookup works: check the resolver (/etc/resolv.conf), or give one with --dns IP",
        ),
        Outcome::DnsFailed(why) => Check::warn(
            NAME,
            format!("{}: DNS failed: {why}", probe.target),
            "try again later, or another domain",
        ),
        _ => unreachable!("every outcome is matched"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::Status;

    fn probe(outcome: Outcome) -> Probe {
        Probe {
            host: Some("mx.example".into()),
            ip: Some("192.0.2.25".parse().unwrap()),
            outcome,
            ..Probe::new("example.org")
        }
    }

    #[test]
    fn doctor_fails_port_25_only_when_no_server_answers() {
        let blocked = [probe(Outcome::TimedOut), probe(Outcome::ConnectionRefused)];
        let lines = checks(&blocked, None, "h.example");
        assert!(lines.iter().all(|c| c.status == Status::Fail));
        assert!(lines[0].fix.as_deref().unwrap().contains("--proxy"));
        let mixed = [probe(Outcome::TimedOut), probe(Outcome::Answered)];
        let lines = checks(&mixed, None, "h.example");
        assert_eq!(lines[0].status, Status::Warn);
        assert_eq!(lines[1].status, Status::Pass);
    }

    #[test]
    fn doctor_quotes_a_refusing_greeting() {
        let mut refused = probe(Outcome::RefusedUs);
        refused.greeting = Some(Reply {
            code: 554,
            enhanced: None,
            lines: vec!["5.7.1 Client host [192.0.2.1] blocked".into()],
        });
        let line = &checks(&[refused], None, "h.example")[0];
        assert_eq!(line.status, Status::Fail);
        assert!(
            line.summary
                .contains("refused us: \"554 5.7.1 Client host [192.0.2.1] blocked\""),
            "{}",
            line.summary
        );
    }
}
