//! Verifies one address end to end: syntax, MX, then SMTP host by host until one answers.
//!
//! Hosts are tried in MX order; a refused or timed-out connection, a 421 or 4xx greeting, or a
//! session that breaks before RCPT moves on to the next host. The first host that gives a real
//! answer decides. After RCPT is accepted, a random address of the same domain is probed in the
//! same transaction to detect catch-all domains.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use rand::RngExt;

use super::classify::{RcptClass, SessionClass, classify_rcpt, classify_session};
use super::dns::{DnsFailure, MailHosts};
use super::emit::Emitter;
use super::event::Stage;
use super::lists;
use super::net::Net;
use super::smtp::command::Command;
use super::smtp::reply::Reply;
use super::smtp::session::{Session, SessionError, Timeouts};
use super::verdict::{Attempt, Flags, MxRecord, Reason, Report, SmtpFacts};
use crate::address::Address;
use crate::config::{Config, StartTlsMode};

/// What a check needs besides the address.
pub struct CheckContext {
    /// The configuration.
    pub config: Arc<Config>,
    /// DNS and dialer.
    pub net: Net,
    /// The EHLO name (resolved once).
    pub helo: String,
    /// Sessions and RCPTs counted.
    pub stats: Arc<super::stats::Stats>,
}

/// The end of one host attempt.
enum HostOutcome {
    /// This host answered; its answer is the verdict.
    Decided(Decision),
    /// This host did not answer usefully; try the next.
    Next { reason: Reason, detail: String },
}

struct Decision {
    reason: Reason,
    detail: String,
    reply: Option<Reply>,
    catch_all: Option<bool>,
}

impl Decision {
    fn new(reason: Reason, detail: impl Into<String>, reply: Option<&Reply>) -> Self {
        Decision {
            reason,
            detail: detail.into(),
            reply: reply.cloned(),
            catch_all: None,
        }
    }
}

/// Checks `input` and returns its report. Emits stages and transcript lines on the way.
pub async fn check_address(input: &str, ctx: &CheckContext, emit: &Emitter) -> Report {
    let started = Instant::now();
    let mut report = match Address::parse(input) {
        Ok(address) => verify(address, input, ctx, emit).await,
        Err(e) => {
            emit.info(format!("invalid address: {e}")).await;
            Report::new(input, Reason::InvalidSyntax, e.to_string())
        }
    };
    report.duration_ms = started.elapsed().as_millis() as u64;
    report
}

async fn verify(address: Address, input: &str, ctx: &CheckContext, emit: &Emitter) -> Report {
    let mut report = Report::new(input, Reason::Ok, "");
    report.normalized = Some(address.smtp_path());
    report.suggestion = address.suggestion();
    report.flags = Flags {
        disposable: lists::is_disposable(address.domain()),
        role_account: lists::is_role_account(address.local_part()),
        free_provider: lists::is_free_provider(address.domain()),
        accept_all: false,
    };
    if let Some(s) = &report.suggestion {
        emit.info(format!("did you mean {s}?")).await;
    }

    emit.stage(Stage::Resolving).await;
    emit.info(format!("resolving MX for {}", address.domain()))
        .await;
    let dns_started = Instant::now();
    let hosts = match ctx.net.dns.mail_hosts(address.domain()).await {
        MailHosts::Hosts(hosts) => hosts,
        other => {
            report.stages.dns_ms = dns_started.elapsed().as_millis() as u64;
            let (reason, detail) = dns_verdict(&other, address.domain());
            emit.info(detail.clone()).await;
            report.set_reason(reason, detail);
            return report;
        }
    };
    report.stages.dns_ms = dns_started.elapsed().as_millis() as u64;
    for mx in &hosts {
        let text = if mx.implicit {
            format!(
                "no MX records; implicit MX: {} (its A/AAAA records)",
                mx.host
            )
        } else {
            format!("MX {} {}", mx.preference, mx.host)
        };
        emit.info(text).await;
    }
    report.mx = hosts.clone();

    let mut last_failure = (
        Reason::ConnectionFailed,
        "no MX host could be reached".to_string(),
    );
    for mx in hosts.iter().take(ctx.config.smtp.max_mx_hosts) {
        let dns_started = Instant::now();
        let ips = match ctx.net.dns.host_ips(&mx.host).await {
            Ok(ips) => ips,
            Err(e) => {
                emit.info(format!("cannot resolve {}: {e}", mx.host)).await;
                report.attempts.push(Attempt {
                    host: mx.host.clone(),
                    ip: None,
                    outcome: e.to_string(),
                });
                last_failure = match e {
                    DnsFailure::Timeout => (Reason::Timeout, format!("{}: {e}", mx.host)),
                    _ => (Reason::ConnectionFailed, format!("{}: {e}", mx.host)),
                };
                continue;
            }
        };
        report.stages.dns_ms += dns_started.elapsed().as_millis() as u64;
        // One address per host: a host whose first address fails is moved past, like most MTAs
        // do with their connection budget; IPv4 is tried first.
        let ip = ips[0];
        let mut facts = SmtpFacts {
            host: mx.host.clone(),
            ip: ip.to_string(),
            port: ctx.net.dialer.shown_port(ip),
            ..SmtpFacts::default()
        };
        let target = Target {
            address: &address,
            mx,
            ip,
            ctx,
            emit,
        };
        let outcome = try_host(target, &mut facts, &mut report).await;
        match outcome {
            HostOutcome::Decided(decision) => {
                report.attempts.push(Attempt {
                    host: mx.host.clone(),
                    ip: Some(ip.to_string()),
                    outcome: decision.reason.to_string(),
                });
                apply_decision(&mut report, facts, decision);
                return report;
            }
            HostOutcome::Next { reason, detail } => {
                emit.info(format!("{}: {detail}; trying the next host", mx.host))
                    .await;
                report.attempts.push(Attempt {
                    host: mx.host.clone(),
                    ip: Some(ip.to_string()),
                    outcome: detail.clone(),
                });
                report.smtp = Some(facts);
                last_failure = (reason, detail);
            }
        }
    }
    emit.info(format!("no host gave an answer: {}", last_failure.1))
        .await;
    report.set_reason(last_failure.0, last_failure.1);
    report
}

fn dns_verdict(result: &MailHosts, domain: &str) -> (Reason, String) {
    match result {
        MailHosts::NullMx => (
            Reason::NullMx,
            format!("{domain} publishes a null MX: it accepts no mail"),
        ),
        MailHosts::NoSuchDomain => (
            Reason::NoSuchDomain,
            format!("{domain} does not exist (NXDOMAIN)"),
        ),
        MailHosts::NoMailServer => (
            Reason::NoMailServer,
            format!("{domain} has no MX and no A/AAAA records"),
        ),
        MailHosts::Failed(DnsFailure::Timeout) => {
            (Reason::Timeout, format!("DNS timed out for {domain}"))
        }
        MailHosts::Failed(e) => (
            Reason::TemporaryFailure,
            format!("DNS lookup of {domain} failed: {e}"),
        ),
        MailHosts::Hosts(_) => (Reason::Ok, String::new()),
    }
}

fn apply_decision(report: &mut Report, mut facts: SmtpFacts, decision: Decision) {
    if let Some(reply) = &decision.reply {
        facts.code = Some(reply.code);
        facts.enhanced_code = reply.enhanced;
        facts.message = Some(reply.message());
    }
    report.smtp = Some(facts);
    report.catch_all = decision.catch_all;
    report.flags.accept_all = decision.catch_all == Some(true);
    let mut reason = decision.reason;
    let mut detail = decision.detail;
    // A throwaway domain makes an otherwise good answer risky; a bad answer stays bad.
    if report.flags.disposable && matches!(reason, Reason::Ok | Reason::AcceptAll) {
        reason = Reason::Disposable;
        detail = format!("{detail}; but the domain is a disposable-address service");
    }
    report.set_reason(reason, detail);
}

fn session_failure(e: &SessionError, stage: &str) -> HostOutcome {
    let reason = match e {
        SessionError::Timeout { .. } => Reason::Timeout,
        SessionError::Closed | SessionError::Io(_) => Reason::ConnectionFailed,
        SessionError::Tls(_) | SessionError::StartTlsInjection => Reason::TlsFailed,
        SessionError::Reply(_) | SessionError::Unsafe(_) => Reason::ProtocolError,
    };
    HostOutcome::Next {
        reason,
        detail: format!("{e} (at {stage})"),
    }
}

/// A reply that refused the session before RCPT: move on, or decide.
fn refusal(reply: &Reply, at: &str) -> HostOutcome {
    let text = format!("{} {} at {at}", reply.code, reply.text());
    if reply.code == 530 || reply.text().to_ascii_uppercase().contains("STARTTLS") {
        return HostOutcome::Decided(Decision::new(
            Reason::TlsFailed,
            format!("server requires STARTTLS: {text}"),
            Some(reply),
        ));
    }
    match classify_session(reply) {
        SessionClass::Blocked => HostOutcome::Decided(Decision::new(
            Reason::Blocked,
            format!("we were refused: {text}"),
            Some(reply),
        )),
        SessionClass::NoMailService => HostOutcome::Decided(Decision::new(
            Reason::NoMailServer,
            format!("server accepts no mail: {text}"),
            Some(reply),
        )),
        SessionClass::Greylisted => HostOutcome::Decided(Decision::new(
            Reason::Greylisted,
            format!("deferred: {text}"),
            Some(reply),
        )),
        SessionClass::TemporaryFailure => HostOutcome::Next {
            reason: Reason::TemporaryFailure,
            detail: text,
        },
        SessionClass::ProtocolError | SessionClass::Accepted => HostOutcome::Next {
            reason: Reason::ProtocolError,
            detail: text,
        },
    }
}

/// One host attempt: what is checked, where, and with what.
#[derive(Clone, Copy)]
struct Target<'a> {
    address: &'a Address,
    mx: &'a MxRecord,
    ip: IpAddr,
    ctx: &'a CheckContext,
    emit: &'a Emitter,
}

async fn try_host(target: Target<'_>, facts: &mut SmtpFacts, report: &mut Report) -> HostOutcome {
    let Target { ctx, emit, .. } = target;
    let smtp = &ctx.config.smtp;
    let mut use_tls = smtp.starttls != StartTlsMode::Never;
    loop {
        let outcome = run_session(target, facts, report, use_tls).await;
        match outcome {
            // Opportunistic TLS failed: reconnect once in plain text, as MTAs do.
            Err(TlsFallback(detail)) if smtp.starttls == StartTlsMode::Opportunistic && use_tls => {
                emit.info(format!("{detail}; retrying without TLS")).await;
                use_tls = false;
            }
            Err(TlsFallback(detail)) => {
                return HostOutcome::Decided(Decision::new(Reason::TlsFailed, detail, None));
            }
            Ok(outcome) => return outcome,
        }
    }
}

/// The TLS handshake failed; whether to retry in plain text is the caller's call.
struct TlsFallback(String);

async fn run_session(
    target: Target<'_>,
    facts: &mut SmtpFacts,
    report: &mut Report,
    use_tls: bool,
) -> Result<HostOutcome, TlsFallback> {
    let Target {
        mx, ip, ctx, emit, ..
    } = target;
    let smtp = &ctx.config.smtp;
    let timeouts = Timeouts {
        greeting: Config::secs(smtp.greeting_timeout),
        command: Config::secs(smtp.command_timeout),
    };
    emit.stage(Stage::Connecting(mx.host.clone())).await;
    emit.info(format!("connecting to {}[{}]:{}", mx.host, ip, facts.port))
        .await;
    let connect_started = Instant::now();
    let io = match ctx
        .net
        .dialer
        .connect(ip, Config::secs(smtp.connect_timeout))
        .await
    {
        Ok(io) => {
            ctx.stats.session_opened();
            io
        }
        Err(e) => {
            let reason = if e.kind() == std::io::ErrorKind::TimedOut {
                Reason::Timeout
            } else {
                Reason::ConnectionFailed
            };
            emit.info(format!("cannot connect to {}[{ip}]: {e}", mx.host))
                .await;
            return Ok(HostOutcome::Next {
                reason,
                detail: format!("connect failed: {e}"),
            });
        }
    };
    emit.info(format!("connected to {}[{ip}]", mx.host)).await;
    emit.stage(Stage::Greeting).await;
    let (session, greeting) = match Session::open(io, emit.clone(), timeouts).await {
        Ok(opened) => opened,
        Err(e) => return Ok(session_failure(&e, "greeting")),
    };
    report.stages.connect_ms += connect_started.elapsed().as_millis() as u64;
    let smtp_started = Instant::now();
    if !greeting.is_positive() {
        let outcome = refusal(&greeting, "greeting");
        session.quit().await;
        return Ok(outcome);
    }
    let outcome = converse(target, facts, session, use_tls).await;
    report.stages.smtp_ms += smtp_started.elapsed().as_millis() as u64;
    outcome
}

/// EHLO, STARTTLS, MAIL, RCPT, probe, QUIT over an open session.
async fn converse(
    target: Target<'_>,
    facts: &mut SmtpFacts,
    mut session: Session,
    use_tls: bool,
) -> Result<HostOutcome, TlsFallback> {
    let Target {
        address,
        mx,
        ctx,
        emit,
        ..
    } = target;
    let smtp = &ctx.config.smtp;
    emit.stage(Stage::Ehlo).await;
    let ehlo = match session.ehlo(&ctx.helo).await {
        Ok(reply) => reply,
        Err(e) => return Ok(session_failure(&e, "EHLO")),
    };
    if !ehlo.is_positive() {
        let outcome = refusal(&ehlo, "EHLO");
        session.quit().await;
        return Ok(outcome);
    }
    facts.extensions = session.extensions().to_vec();

    if session.offers("STARTTLS") && use_tls {
        emit.stage(Stage::StartTls).await;
        match session.send(&Command::StartTls).await {
            Ok(reply) if reply.is_positive() => match session.upgrade(&mx.host).await {
                Ok((upgraded, tls)) => {
                    emit.info(format!(
                        "TLS established: {} {}; certificate {}{}",
                        tls.version,
                        tls.cipher,
                        tls.subject.as_deref().unwrap_or("(none)"),
                        if tls.verified {
                            " (valid)"
                        } else {
                            " (not valid for this host: accepted anyway)"
                        }
                    ))
                    .await;
                    facts.tls = Some(tls);
                    session = upgraded;
                    match session.ehlo(&ctx.helo).await {
                        Ok(reply) if reply.is_positive() => {
                            facts.extensions = session.extensions().to_vec()
                        }
                        Ok(reply) => {
                            let outcome = refusal(&reply, "EHLO after STARTTLS");
                            session.quit().await;
                            return Ok(outcome);
                        }
                        Err(e) => return Ok(session_failure(&e, "EHLO after STARTTLS")),
                    }
                }
                Err(e) => return Err(TlsFallback(e.to_string())),
            },
            Ok(reply) => {
                if smtp.starttls == StartTlsMode::Required {
                    session.quit().await;
                    return Ok(HostOutcome::Decided(Decision::new(
                        Reason::TlsFailed,
                        format!("STARTTLS refused: {} {}", reply.code, reply.text()),
                        Some(&reply),
                    )));
                }
                emit.info("STARTTLS refused; going on in plain text").await;
            }
            Err(e) => return Ok(session_failure(&e, "STARTTLS")),
        }
    } else if smtp.starttls == StartTlsMode::Required && !session.is_tls() {
        session.quit().await;
        return Ok(HostOutcome::Decided(Decision::new(
            Reason::TlsFailed,
            format!("{} does not offer STARTTLS, which is required", mx.host),
            None,
        )));
    }

    let smtputf8 = address.needs_smtputf8();
    if smtputf8 && !session.offers("SMTPUTF8") {
        session.quit().await;
        return Ok(HostOutcome::Decided(Decision::new(
            Reason::ProtocolError,
            format!(
                "the address needs SMTPUTF8, which {} does not offer",
                mx.host
            ),
            None,
        )));
    }

    emit.stage(Stage::MailFrom).await;
    let mail = Command::MailFrom {
        path: smtp.from.clone(),
        smtputf8,
    };
    match session.send(&mail).await {
        Ok(reply) if reply.is_positive() => {}
        Ok(reply) => {
            let outcome = refusal(&reply, "MAIL FROM");
            session.quit().await;
            return Ok(outcome);
        }
        Err(e) => return Ok(session_failure(&e, "MAIL FROM")),
    }

    emit.stage(Stage::RcptTo).await;
    ctx.stats.rcpt_sent();
    let rcpt = match session.send(&Command::RcptTo(address.smtp_path())).await {
        Ok(reply) => reply,
        Err(e) => return Ok(session_failure(&e, "RCPT TO")),
    };
    let class = classify_rcpt(&rcpt);
    let mut decision = rcpt_decision(class, &rcpt);
    if class == RcptClass::Exists && smtp.catch_all_probe {
        emit.stage(Stage::CatchAllProbe).await;
        let probe = format!("{}@{}", random_local_part(), address.domain());
        ctx.stats.rcpt_sent();
        match session.send(&Command::RcptTo(probe)).await {
            Ok(reply) if reply.is_positive() => {
                decision.catch_all = Some(true);
                decision.reason = Reason::AcceptAll;
                decision.detail = format!(
                    "{} accepts any address (catch-all): acceptance proves nothing",
                    address.domain()
                );
                emit.info("a random address was accepted too: catch-all domain")
                    .await;
            }
            Ok(reply) if reply.is_permanent() => decision.catch_all = Some(false),
            Ok(_) => {}
            Err(e) => emit.info(format!("catch-all probe failed: {e}")).await,
        }
    }
    if class == RcptClass::TemporaryFailure && rcpt.code == 421 {
        return Ok(HostOutcome::Next {
            reason: Reason::TemporaryFailure,
            detail: format!("{} {} at RCPT TO", rcpt.code, rcpt.text()),
        });
    }
    emit.stage(Stage::Quit).await;
    session.quit().await;
    Ok(HostOutcome::Decided(decision))
}

fn rcpt_decision(class: RcptClass, reply: &Reply) -> Decision {
    let text = format!("{} {}", reply.code, reply.text());
    let (reason, detail) = match class {
        RcptClass::Exists => (Reason::Ok, format!("mailbox accepted: {text}")),
        RcptClass::CannotVerify => (
            Reason::AcceptAll,
            format!("server cannot verify the mailbox but will accept mail: {text}"),
        ),
        RcptClass::NoSuchUser => (Reason::NoSuchUser, format!("no such mailbox: {text}")),
        RcptClass::MailboxFull => (Reason::MailboxFull, format!("mailbox full: {text}")),
        RcptClass::MailboxDisabled => {
            (Reason::MailboxDisabled, format!("mailbox disabled: {text}"))
        }
        RcptClass::Greylisted => (
            Reason::Greylisted,
            format!("deferred (greylisting): {text}"),
        ),
        RcptClass::Blocked => (
            Reason::Blocked,
            format!("refused because of us, not the mailbox: {text}"),
        ),
        RcptClass::TemporaryFailure => (
            Reason::TemporaryFailure,
            format!("temporary failure: {text}"),
        ),
        RcptClass::NoMailService => (
            Reason::NoMailServer,
            format!("server accepts no mail for the domain: {text}"),
        ),
        RcptClass::ProtocolError => (
            Reason::ProtocolError,
            format!("unexpected reply to RCPT: {text}"),
        ),
    };
    Decision::new(reason, detail, Some(reply))
}

/// A local part nobody has: 20 lowercase letters and digits.
fn random_local_part() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_addresses_are_long_and_random() {
        let a = random_local_part();
        let b = random_local_part();
        assert!(a.len() >= 16);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
