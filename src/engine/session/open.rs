//! Opens a session that is ready for RCPT: MX hosts in order, and on each host connect, greeting,
//! EHLO (HELO fallback), STARTTLS (with a plain-text retry when opportunistic TLS fails), the
//! SMTPUTF8 check and MAIL FROM. A refused or timed-out connection, a 4xx greeting or a session
//! that breaks moves on to the next host; a refusal that is an answer (we are blocked, the server
//! takes no mail, STARTTLS required) ends the search.
//!
//! Before each dial, in this order: the host's backoff, its per-IP permit
//! ([`crate::engine::hosts::limit`], the only per-host gate: one permit while its first session
//! is a trial) and pacing, and only then the global session slot
//! ([`crate::engine::session::slot`]); a slot kept from an earlier session is given up before
//! any of those waits.

use std::net::IpAddr;
use std::time::Instant;

use crate::config::{Config, StartTlsMode};
use crate::engine::context::CheckContext;
use crate::engine::dns::DnsFailure;
use crate::engine::emit::Emitter;
use crate::engine::event::Stage;
use crate::engine::hosts::health::{AfterFailure, HostState};
use crate::engine::hosts::limit::HostPermit;
use crate::engine::hosts::port_breaker::{DialFailure, EARLY_PROBE_AFTER};
use crate::engine::judge::outcome::{Decision, Refusal, refusal, session_failure};
use crate::engine::judge::verdict::{Attempt, MxRecord, Reason, SmtpFacts, StageTimes};
use crate::engine::session::slot::{GlobalSlots, SlotPermit};
use crate::engine::smtp::command::Command;
use crate::engine::smtp::session::{Session, Timeouts};

/// A session after a positive reply to MAIL FROM.
pub struct Ready {
    /// The session, inside its first transaction (or about to pipeline MAIL FROM).
    pub session: Session,
    /// Host, IP, port, extensions and TLS facts.
    pub facts: SmtpFacts,
    /// Whether MAIL FROM was left for the caller to pipeline with its first RCPTs.
    pub mail_deferred: bool,
    /// This session's slot in the per-host limit of its server's IP, held until it closes.
    pub host_permit: Option<HostPermit>,
    /// The session's global slot, held until it closes.
    pub slot: Option<SlotPermit>,
}

/// No host gave a ready session.
pub struct Failure {
    /// The answer: a decision (blocked, TLS required ...) or the last host's failure.
    pub decision: Decision,
    /// The facts of the last session tried, if any.
    pub facts: Option<SmtpFacts>,
}

/// What to open a session for.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The domain the session is for.
    pub domain: &'a str,
    /// The domain's mail hosts in order.
    pub hosts: &'a [MxRecord],
    /// Whether the transaction needs SMTPUTF8.
    pub smtputf8: bool,
    /// Leave MAIL FROM to the caller when the server offers PIPELINING (RFC 2920 lets MAIL
    /// and RCPTs travel together, saving a round trip per session).
    pub defer_mail: bool,
    /// Seconds the domain's provider may take per reply (a provider rule), when longer than
    /// `smtp.command_timeout`.
    pub command_timeout: Option<f64>,
}

/// Where the time and the attempts go.
pub struct Ledger<'a> {
    /// Every host attempt, in order.
    pub attempts: &'a mut Vec<Attempt>,
    /// Time per stage.
    pub stages: &'a mut StageTimes,
}

enum HostOutcome {
    Ready(Box<Ready>),
    Decided(Decision, SmtpFacts),
    Next {
        reason: Reason,
        detail: String,
        facts: SmtpFacts,
    },
    TlsFailed(String, SmtpFacts),
}

/// A host and the address it was reached at, as `mx.example[192.0.2.1]`; an IP address
/// given as the host (`--server 192.0.2.1`) is shown once, as `[192.0.2.1]`.
pub fn host_at(host: &str, ip: impl std::fmt::Display) -> String {
    let ip = ip.to_string();
    if host == ip {
        format!("[{ip}]")
    } else {
        format!("{host}[{ip}]")
    }
}

/// The first of a host's addresses that a connection from `bind` can reach: any when there is
/// no bind address, else the first of the same IP version.
pub fn reachable_ip(ips: &[IpAddr], bind: Option<IpAddr>) -> Option<IpAddr> {
    ips.iter()
        .copied()
        .find(|ip| bind.is_none_or(|local| local.is_ipv4() == ip.is_ipv4()))
}

/// Tries the hosts in order until one is ready for RCPT or one gives an answer.
pub async fn open_session(
    request: Request<'_>,
    ctx: &CheckContext,
    emit: &Emitter,
    ledger: &mut Ledger<'_>,
    slots: &mut GlobalSlots,
) -> Result<Ready, Failure> {
    let mut last = Failure {
        decision: Decision::new(
            Reason::ConnectionFailed,
            "no MX host could be reached",
            None,
        ),
        facts: None,
    };
    let bind = ctx.net.dialer.bind();
    if let Some(detail) = ctx.breaker.tripped() {
        emit.info(detail.clone()).await;
        return Err(Failure {
            decision: Decision::new(Reason::PortBlocked, detail, None),
            facts: None,
        });
    }
    let candidates = request.hosts.len().min(ctx.config.smtp.max_mx_hosts);
    for (index, mx) in request.hosts.iter().take(candidates).enumerate() {
        let dns_started = Instant::now();
        let ip = match ctx.host_ips(&mx.host).await {
            Ok(ips) => match (reachable_ip(&ips, bind), bind) {
                (Some(ip), _) => ip,
                (None, local) => {
                    let family = if ips[0].is_ipv4() { "IPv6" } else { "IPv4" };
                    let local = local.map(|b| b.to_string()).unwrap_or_default();
                    let detail = format!(
                        "{} has no {family} address, and connections leave from {local} (bind)",
                        mx.host
                    );
                    emit.info(detail.clone()).await;
                    ledger.attempts.push(Attempt {
                        host: mx.host.clone(),
                        ip: None,
                        outcome: detail.clone(),
                    });
                    last.decision = Decision::new(Reason::ConnectionFailed, detail, None);
                    continue;
                }
            },
            Err(e) => {
                emit.info(format!("cannot resolve {}: {e}", mx.host)).await;
                ledger.attempts.push(Attempt {
                    host: mx.host.clone(),
                    ip: None,
                    outcome: e.to_string(),
                });
                let reason = if e == DnsFailure::Timeout {
                    Reason::Timeout
                } else {
                    Reason::ConnectionFailed
                };
                last.decision = Decision::new(reason, format!("{}: {e}", mx.host), None);
                continue;
            }
        };
        ledger.stages.dns_ms += dns_started.elapsed().as_millis() as u64;
        let is_last = index + 1 == candidates;
        let permit = match wait_for_host(ctx, emit, &mx.host, ip, is_last, slots).await {
            Ok(permit) => permit,
            Err(given_up) => {
                ledger.attempts.push(Attempt {
                    host: mx.host.clone(),
                    ip: Some(ip.to_string()),
                    outcome: given_up.detail.clone(),
                });
                last = Failure {
                    decision: given_up,
                    facts: None,
                };
                continue;
            }
        };
        let mut host_permit = Some(permit);
        let mut slot = Some(take_slot(ctx, ip, slots).await);
        let mut use_tls =
            ctx.config.smtp.starttls != StartTlsMode::Never && !ctx.tls_failed(&mx.host);
        loop {
            let outcome = try_host(request, mx, ip, use_tls, ctx, emit, ledger).await;
            let attempt = |outcome: &str| Attempt {
                host: mx.host.clone(),
                ip: Some(ip.to_string()),
                outcome: outcome.to_string(),
            };
            match outcome {
                HostOutcome::Ready(mut ready) => {
                    ledger.attempts.push(attempt("session opened"));
                    ready.host_permit = host_permit.take();
                    ready.slot = slot.take();
                    return Ok(*ready);
                }
                HostOutcome::Decided(decision, facts) => {
                    ledger.attempts.push(attempt(decision.reason.as_str()));
                    if decision.reason == Reason::Blocked {
                        note_refusal(ctx, &mx.host, ip, &decision.detail);
                    }
                    return Err(Failure {
                        decision,
                        facts: Some(facts),
                    });
                }
                HostOutcome::TlsFailed(detail, facts) => {
                    ledger.attempts.push(attempt(&detail));
                    let shown = host_at(&mx.host, ip);
                    let after = ctx
                        .host_health
                        .failed(ip, &shown, (Reason::TlsFailed, &detail));
                    if let (AfterFailure::Backoff(delay), true) = (
                        &after,
                        ctx.config.smtp.starttls == StartTlsMode::Opportunistic && use_tls,
                    ) {
                        // Opportunistic TLS failed: reconnect once in plain text, as MTAs do,
                        // after the host's backoff.
                        emit.info(format!(
                            "{detail}; retrying without TLS in {:.1} s",
                            delay.as_secs_f64()
                        ))
                        .await;
                        ctx.remember_tls_failure(&mx.host);
                        use_tls = false;
                        drop(host_permit.take());
                        drop(slot.take());
                        tokio::time::sleep(*delay).await;
                        host_permit = Some(ctx.host_limit.enter(ip).await);
                        slot = Some(take_slot(ctx, ip, slots).await);
                        continue;
                    }
                    return Err(Failure {
                        decision: Decision::new(Reason::TlsFailed, detail, None),
                        facts: Some(facts),
                    });
                }
                HostOutcome::Next {
                    reason,
                    detail,
                    facts,
                } => {
                    emit.info(format!("{}: {detail}; trying the next host", mx.host))
                        .await;
                    ledger.attempts.push(attempt(&detail));
                    let shown = host_at(&mx.host, ip);
                    ctx.host_health.failed(ip, &shown, (reason, &detail));
                    last = Failure {
                        decision: Decision::new(reason, detail, None),
                        facts: Some(facts),
                    };
                    break;
                }
            }
        }
    }
    emit.info(format!("no host gave an answer: {}", last.decision.detail))
        .await;
    Err(last)
}

/// The server at `ip` refused us rather than a mailbox: it is not asked again in this run, and
/// every address still waiting for it is finished with the same words.
pub fn note_refusal(ctx: &CheckContext, host: &str, ip: IpAddr, detail: &str) {
    let shown = host_at(host, ip);
    let why = format!("{shown} refused us earlier in this run, so it is not asked again: {detail}");
    if ctx.host_health.refused_us(ip, &why) {
        ctx.stats.host_refused_us(shown);
    }
}

/// The pace of connections to `ip`, then the global slot: taken after the server's permit, so
/// no slot is held while the server is busy.
async fn take_slot(ctx: &CheckContext, ip: IpAddr, slots: &mut GlobalSlots) -> SlotPermit {
    if ctx.config.engine.connect_interval > 0.0 {
        slots.release_kept();
    }
    ctx.host_limit.pace(ip).await;
    slots.acquire().await
}

/// The server's per-IP permit, once its backoff is over: waits while it has `per_host`
/// sessions open, or while its first session (the trial) has not had a RCPT answered. When
/// other hosts are left to try, a host in its backoff is skipped; a host given up on for the
/// run gives the decision for the address. A kept slot is given up before any wait.
async fn wait_for_host(
    ctx: &CheckContext,
    emit: &Emitter,
    host: &str,
    ip: IpAddr,
    is_last: bool,
    slots: &mut GlobalSlots,
) -> Result<HostPermit, Decision> {
    let shown = host_at(host, ip);
    let mut said_waiting = false;
    loop {
        match ctx.host_health.state(ip, tokio::time::Instant::now()) {
            HostState::Ready => {}
            HostState::GivenUp(reason, why) => {
                emit.info(format!("{shown} is not dialled: {why}")).await;
                return Err(Decision::new(reason, why, None));
            }
            HostState::WaitUntil(_) if !is_last => {
                let detail = format!("{shown} failed a moment ago; trying the next host");
                emit.info(detail.clone()).await;
                return Err(Decision::new(Reason::TemporaryFailure, detail, None));
            }
            HostState::WaitUntil(at) => {
                slots.release_kept();
                let wait = at.saturating_duration_since(tokio::time::Instant::now());
                emit.info(format!(
                    "{shown} failed a moment ago; waiting {:.1} s before dialling it again",
                    wait.as_secs_f64()
                ))
                .await;
                tokio::time::sleep_until(at).await;
                continue;
            }
        }
        if let Some(permit) = ctx.host_limit.try_enter(ip) {
            return Ok(permit);
        }
        slots.release_kept();
        if !said_waiting {
            let why = if ctx.host_limit.is_proven(ip) {
                format!(
                    "{shown} already has {} sessions open; waiting for one to close",
                    ctx.config.engine.per_host
                )
            } else {
                format!(
                    "waiting for the first session to {shown} to get an answer before opening another"
                )
            };
            emit.info(why).await;
            said_waiting = true;
        }
        let permit = ctx.host_limit.enter(ip).await;
        if matches!(
            ctx.host_health.state(ip, tokio::time::Instant::now()),
            HostState::Ready
        ) {
            return Ok(permit);
        }
        // The server failed or refused us while this session waited: look again.
    }
}

async fn try_host(
    request: Request<'_>,
    mx: &MxRecord,
    ip: IpAddr,
    use_tls: bool,
    ctx: &CheckContext,
    emit: &Emitter,
    ledger: &mut Ledger<'_>,
) -> HostOutcome {
    let smtp = &ctx.config.smtp;
    let facts = SmtpFacts {
        host: mx.host.clone(),
        ip: ip.to_string(),
        port: ctx.net.dialer.shown_port(ip),
        ..SmtpFacts::default()
    };
    let timeouts = Timeouts {
        greeting: Config::secs(smtp.greeting_timeout),
        command: Config::secs(
            smtp.command_timeout
                .max(request.command_timeout.unwrap_or(0.0)),
        ),
    };
    emit.stage(Stage::Connecting(mx.host.clone())).await;
    let via = match (&ctx.net.proxy, ctx.net.dialer.bind()) {
        (Some(proxy), _) if proxy.resolve_at_proxy && mx.host.parse::<IpAddr>().is_err() => {
            format!(
                " via SOCKS5 proxy {}, which resolves {} itself",
                proxy.shown(),
                mx.host
            )
        }
        (Some(proxy), _) => format!(" via SOCKS5 proxy {}", proxy.shown()),
        (None, Some(local)) => format!(" from {local}"),
        (None, None) => String::new(),
    };
    emit.info(format!(
        "connecting to {}:{}{via}",
        host_at(&mx.host, ip),
        facts.port
    ))
    .await;
    let connect_started = Instant::now();
    let under_way = ctx.breaker.dial_started();
    let dial = ctx
        .net
        .connect(&mx.host, ip, Config::secs(smtp.connect_timeout));
    tokio::pin!(dial);
    let slow = async {
        tokio::time::sleep(EARLY_PROBE_AFTER).await;
        ctx.breaker.dial_is_slow();
        std::future::pending::<()>().await
    };
    let dialled = tokio::select! {
        result = &mut dial => result,
        detail = ctx.breaker.wait_tripped() => {
            emit.info(format!("connect to {} abandoned: {detail}", host_at(&mx.host, ip))).await;
            return port_blocked(detail, facts);
        }
        () = slow => unreachable!("the slow-dial watch never ends"),
    };
    drop(under_way);
    let connected = match dialled {
        Ok(connected) => {
            ctx.breaker.connect_succeeded();
            connected
        }
        Err(e) => {
            if is_tcp_level(&e) {
                let failure = DialFailure {
                    ip,
                    domain: request.domain.to_string(),
                    timed_out: e.kind() == std::io::ErrorKind::TimedOut,
                };
                if let Some(detail) = ctx.breaker.dial_failed(failure).await {
                    emit.info(format!("cannot connect to {}: {e}", host_at(&mx.host, ip)))
                        .await;
                    emit.info(detail.clone()).await;
                    return port_blocked(detail, facts);
                }
            }
            let reason = if e.kind() == std::io::ErrorKind::TimedOut {
                Reason::Timeout
            } else {
                Reason::ConnectionFailed
            };
            emit.info(format!("cannot connect to {}: {e}", host_at(&mx.host, ip)))
                .await;
            return HostOutcome::Next {
                reason,
                detail: format!("connect failed: {e}"),
                facts,
            };
        }
    };
    emit.info(format!("connected to {}", host_at(&mx.host, ip)))
        .await;
    emit.stage(Stage::Greeting).await;
    let io = ctx.stats.session_opened(connected.io);
    let opened = Session::open(io, emit.clone(), timeouts)
        .await
        .map(|(session, greeting)| (session.watching_close(connected.close_watch), greeting));
    ledger.stages.connect_ms += connect_started.elapsed().as_millis() as u64;
    let smtp_started = Instant::now();
    let outcome = match opened {
        Ok((session, greeting)) if greeting.is_positive() => {
            converse(request, mx, use_tls, ctx, emit, session, facts).await
        }
        Ok((session, greeting)) => {
            session.quit().await;
            refused(refusal(&greeting, "greeting"), facts)
        }
        Err(e) => {
            let (reason, detail) = session_failure(&e, "greeting");
            HostOutcome::Next {
                reason,
                detail,
                facts,
            }
        }
    };
    ledger.stages.smtp_ms += smtp_started.elapsed().as_millis() as u64;
    outcome
}

/// Whether a connect failed at the TCP level (what a blocked port 25 looks like), rather than
/// in the proxy or the local set-up.
fn is_tcp_level(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        TimedOut
            | ConnectionRefused
            | ConnectionReset
            | HostUnreachable
            | NetworkUnreachable
            | NetworkDown
    )
}

/// The breaker tripped: the answer for every address still waiting.
fn port_blocked(detail: String, facts: SmtpFacts) -> HostOutcome {
    HostOutcome::Decided(Decision::new(Reason::PortBlocked, detail, None), facts)
}

fn refused(refusal: Refusal, facts: SmtpFacts) -> HostOutcome {
    match refusal {
        Refusal::Decided(decision) => HostOutcome::Decided(decision, facts),
        Refusal::Next { reason, detail } => HostOutcome::Next {
            reason,
            detail,
            facts,
        },
    }
}

/// EHLO, STARTTLS, SMTPUTF8 check and MAIL FROM over a greeted session.
async fn converse(
    request: Request<'_>,
    mx: &MxRecord,
    use_tls: bool,
    ctx: &CheckContext,
    emit: &Emitter,
    mut session: Session,
    mut facts: SmtpFacts,
) -> HostOutcome {
    let smtp = &ctx.config.smtp;
    macro_rules! step {
        ($result:expr, $at:expr) => {
            match $result {
                Ok(reply) if reply.is_positive() => reply,
                Ok(reply) if reply.code == 421 => {
                    // The server is closing the session: nothing more may be sent on it.
                    return refused(refusal(&reply, $at), facts);
                }
                Ok(reply) => {
                    session.quit().await;
                    return refused(refusal(&reply, $at), facts);
                }
                Err(e) => {
                    let (reason, detail) = session_failure(&e, $at);
                    return HostOutcome::Next {
                        reason,
                        detail,
                        facts,
                    };
                }
            }
        };
    }
    emit.stage(Stage::Ehlo).await;
    step!(session.ehlo(&ctx.helo).await, "EHLO");
    facts.extensions = session.extensions().to_vec();

    if session.offers("STARTTLS") && use_tls {
        emit.stage(Stage::StartTls).await;
        match session.send(&Command::StartTls).await {
            Ok(reply) if reply.is_positive() => match session.upgrade(&mx.host).await {
                Ok((upgraded, tls)) => {
                    let validity = if tls.verified {
                        " (valid)"
                    } else {
                        " (not valid for this host: accepted anyway)"
                    };
                    emit.info(format!(
                        "TLS established: {} {}; certificate {}{validity}",
                        tls.version,
                        tls.cipher,
                        tls.subject.as_deref().unwrap_or("(none)"),
                    ))
                    .await;
                    facts.tls = Some(tls);
                    session = upgraded;
                    step!(session.ehlo(&ctx.helo).await, "EHLO after STARTTLS");
                    facts.extensions = session.extensions().to_vec();
                }
                Err(e) => return HostOutcome::TlsFailed(e.to_string(), facts),
            },
            Ok(reply) if reply.code == 421 => {
                // The server is closing the session: nothing more may be sent on it.
                let detail = format!("{} {} at STARTTLS", reply.code, reply.text());
                emit.info("the server closes the session (421); nothing more is sent")
                    .await;
                return HostOutcome::Next {
                    reason: Reason::TemporaryFailure,
                    detail,
                    facts,
                };
            }
            Ok(reply) if smtp.starttls == StartTlsMode::Required => {
                session.quit().await;
                let detail = format!("STARTTLS refused: {} {}", reply.code, reply.text());
                return HostOutcome::Decided(
                    Decision::new(Reason::TlsFailed, detail, Some(&reply)),
                    facts,
                );
            }
            Ok(_) => emit.info("STARTTLS refused; going on in plain text").await,
            Err(e) => {
                let (reason, detail) = session_failure(&e, "STARTTLS");
                return HostOutcome::Next {
                    reason,
                    detail,
                    facts,
                };
            }
        }
    } else if smtp.starttls == StartTlsMode::Required && !session.is_tls() {
        session.quit().await;
        let detail = format!("{} does not offer STARTTLS, which is required", mx.host);
        return HostOutcome::Decided(Decision::new(Reason::TlsFailed, detail, None), facts);
    }

    if request.smtputf8 && !session.offers("SMTPUTF8") {
        session.quit().await;
        let detail = format!(
            "the address needs SMTPUTF8, which {} does not offer",
            mx.host
        );
        return HostOutcome::Decided(Decision::new(Reason::ProtocolError, detail, None), facts);
    }
    let pipelining_broken = facts.ip.parse().is_ok_and(|ip| ctx.pipelining_broken(ip));
    if request.defer_mail && session.offers("PIPELINING") && !pipelining_broken {
        return HostOutcome::Ready(Box::new(Ready {
            session,
            facts,
            mail_deferred: true,
            host_permit: None,
            slot: None,
        }));
    }
    emit.stage(Stage::MailFrom).await;
    step!(
        session
            .send(&mail_from(ctx, session.offers("SMTPUTF8")))
            .await,
        "MAIL FROM"
    );
    HostOutcome::Ready(Box::new(Ready {
        session,
        facts,
        mail_deferred: false,
        host_permit: None,
        slot: None,
    }))
}

/// The MAIL FROM command for this run. SMTPUTF8 is asked for whenever the server offers it, so
/// any address (ASCII or not) can join the transaction.
pub fn mail_from(ctx: &CheckContext, smtputf8: bool) -> Command {
    Command::MailFrom {
        path: ctx.config.smtp.from.clone(),
        smtputf8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|ip| ip.parse().unwrap()).collect()
    }

    #[test]
    fn a_bound_connection_picks_the_first_address_of_its_ip_version() {
        let dual = ips(&["192.0.2.1", "2001:db8::1"]);
        let v6: IpAddr = "::1".parse().unwrap();
        let v4: IpAddr = "127.0.0.7".parse().unwrap();
        assert_eq!(reachable_ip(&dual, None), Some(dual[0]));
        assert_eq!(reachable_ip(&dual, Some(v6)), Some(dual[1]));
        assert_eq!(reachable_ip(&dual, Some(v4)), Some(dual[0]));
        assert_eq!(reachable_ip(&ips(&["192.0.2.1"]), Some(v6)), None);
    }

    #[test]
    fn an_ip_given_as_the_host_is_shown_once() {
        assert_eq!(host_at("mx.example", "192.0.2.1"), "mx.example[192.0.2.1]");
        assert_eq!(host_at("::1", "::1"), "[::1]");
    }
}
