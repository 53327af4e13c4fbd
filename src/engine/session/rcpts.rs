//! The RCPT side of a session for a domain's queue: opens the session for the first address,
//! then sends as many queued addresses as the limits allow in pipelined batches (one at a time
//! without PIPELINING), renews the transaction when the server says it is full, probes the
//! domain for catch-all once, and ends with QUIT. Each address's transcript gets the lines of
//! its own RCPT; the session's opening (connect, EHLO, STARTTLS, MAIL) goes to the first
//! address of the session, and later ones get a line saying which session they joined.
//!
//! Every way a session can end is accounted here: a 421 (no QUIT after it), a 354 to RCPT
//! (abandoned without another byte), replies nobody asked for, a server that answers only part
//! of a pipelined batch, a refusal of our host (every queued address finishes at once), and the
//! retry budget of addresses that got no answer.

use std::net::IpAddr;
use std::sync::Arc;

use crate::engine::context::CheckContext;
use crate::engine::emit::Emitter;
use crate::engine::event::Stage;
use crate::engine::hosts::health::{AfterFailure, HostState};
use crate::engine::judge::classify::{RcptClass, classify_rcpt, refuses_our_host};
use crate::engine::judge::outcome::{
    Decision, Refusal, accepted_by_provider, rcpt_decision, refusal, session_failure,
    with_catch_all,
};
use crate::engine::judge::verdict::{Attempt, Reason, SmtpFacts};
use crate::engine::scheduler::domain::Domain;
use crate::engine::scheduler::{Pending, Scheduler, complete, settle};
use crate::engine::session::open::{Ledger, Ready, Request, mail_from, note_refusal, open_session};
use crate::engine::session::probe::{probe_address, probe_catch_all};
use crate::engine::session::slot::GlobalSlots;
use crate::engine::smtp::command::Command;
use crate::engine::smtp::reply::Reply;
use crate::engine::smtp::session::{Session, SessionError};

/// Largest pipelined RCPT batch.
const MAX_BATCH: usize = 16;

/// A pipelining session ends when fewer refusals than this are left in its budget.
const MIN_BATCH: usize = 3;

/// One SMTP session: open it for `owner`, then RCPT as many queued addresses as the limits allow.
pub async fn session_round(
    scheduler: &Arc<Scheduler>,
    domain: &Arc<Domain>,
    mut owner: Pending,
    slots: &mut GlobalSlots,
) {
    let ctx = scheduler.ctx();
    let smtputf8 = owner.prepared.address.needs_smtputf8();
    let request = Request {
        domain: &domain.name,
        hosts: &domain.hosts,
        smtputf8,
        defer_mail: true,
        command_timeout: domain.provider.as_ref().and_then(|p| p.command_timeout),
    };
    let report = &mut owner.prepared.report;
    let mut ledger = Ledger {
        attempts: &mut report.attempts,
        stages: &mut report.stages,
    };
    let emit = owner.emit.clone();
    match open_session(request, ctx, &emit, &mut ledger, slots).await {
        Err(failure) => {
            let others = if smtputf8 {
                Vec::new()
            } else {
                domain.take_all()
            };
            let owner_address = owner.prepared.address.smtp_path();
            let attempts = owner.prepared.report.attempts.clone();
            settle(
                scheduler,
                owner,
                failure.decision.clone(),
                failure.facts.clone(),
            )
            .await;
            for mut pending in others {
                let detail = format!(
                    "not checked on its own: the session opened for {owner_address} failed: {}",
                    failure.decision.detail
                );
                pending.emit.info(detail.clone()).await;
                pending.prepared.report.attempts = attempts.clone();
                let decision = Decision {
                    detail,
                    ..failure.decision.clone()
                };
                settle(scheduler, pending, decision, failure.facts.clone()).await;
            }
        }
        Ok(mut ready) => {
            let slot = ready.slot.take();
            rcpt_loop(scheduler, domain, owner, ready).await;
            if let Some(slot) = slot {
                slots.keep(slot);
            }
        }
    }
}

/// Counters of one session.
#[derive(Default)]
struct Tally {
    rcpts: usize,
    rejected: usize,
    in_transaction: usize,
    /// RCPTs the server takes per transaction, once a 452 told us.
    transaction_limit: Option<usize>,
}

async fn rcpt_loop(scheduler: &Arc<Scheduler>, domain: &Arc<Domain>, owner: Pending, ready: Ready) {
    let ctx = scheduler.ctx();
    let engine = &ctx.config.engine;
    let Ready {
        mut session,
        facts,
        mail_deferred,
        host_permit: _host_permit,
        slot: _,
    } = ready;
    let mut mail_pending = mail_deferred;
    let ip: Option<IpAddr> = facts.ip.parse().ok();
    let pipelining =
        session.offers("PIPELINING") && !ip.is_some_and(|ip| ctx.pipelining_broken(ip));
    let mut answered_any = false;
    let mut failure: Option<(Reason, String)> = None;
    let mut tally = Tally::default();
    let mut batch = vec![owner];
    let mut first = true;
    // The last answered address is completed only once the session has sent its next command,
    // so the session's own lines (RSET, MAIL, QUIT) land in a transcript that is still open.
    let mut held: Option<(Pending, Decision)> = None;
    loop {
        if tally
            .transaction_limit
            .is_some_and(|limit| tally.in_transaction >= limit)
            && !domain.is_empty()
        {
            session.set_emitter(carrier(&held));
            if !renew_transaction(&mut session, ctx).await {
                break;
            }
            tally.in_transaction = 0;
        }
        let room = engine
            .rcpts_per_session
            .saturating_sub(tally.rcpts)
            .min(engine.rejected_per_session.saturating_sub(tally.rejected));
        let refusals_left = engine.rejected_per_session.saturating_sub(tally.rejected);
        // With pipelining, a session whose refusal budget has shrunk to a trickle of one or
        // two RCPTs per round trip does less per second than a fresh one: hand the rest on.
        let trickle = pipelining
            && tally.rcpts > 0
            && refusals_left < MIN_BATCH.min(engine.rejected_per_session);
        let room = if trickle { 0 } else { room };
        let room = match tally.transaction_limit {
            Some(limit) => room.min(limit.saturating_sub(tally.in_transaction)),
            None => room,
        };
        let size = if pipelining {
            room.min(MAX_BATCH)
        } else {
            room.min(1)
        };
        if batch.len() < size {
            for pending in domain.take(size - batch.len()) {
                if pending.prepared.address.needs_smtputf8() && !session.offers("SMTPUTF8") {
                    let detail = format!(
                        "the address needs SMTPUTF8, which {} does not offer",
                        facts.host
                    );
                    let decision = Decision::new(Reason::ProtocolError, detail, None);
                    complete(pending, decision, Some(facts.clone())).await;
                } else {
                    batch.push(pending);
                }
            }
        }
        if batch.is_empty() || room == 0 {
            for pending in batch.drain(..) {
                domain.push_front(pending);
            }
            break;
        }
        for (index, pending) in batch.iter_mut().enumerate() {
            pending.emit.stage(Stage::RcptTo).await;
            if !first {
                pending.prepared.report.attempts.push(Attempt {
                    host: facts.host.clone(),
                    ip: Some(facts.ip.clone()),
                    outcome: format!("joined an open session (RCPT {})", tally.rcpts + index + 1),
                });
                pending
                    .emit
                    .info(format!(
                        "reusing the session to {}:{} (RCPT {} of this session)",
                        crate::engine::session::open::host_at(&facts.host, &facts.ip),
                        facts.port,
                        tally.rcpts + index + 1
                    ))
                    .await;
            }
            first = false;
        }
        let mut commands: Vec<(Command, Emitter)> = Vec::with_capacity(batch.len() + 1);
        if mail_pending {
            let utf8 = session.offers("SMTPUTF8");
            commands.push((mail_from(ctx, utf8), batch[0].emit.clone()));
        }
        for p in &batch {
            ctx.stats.rcpt_sent();
            commands.push((
                Command::RcptTo(p.prepared.address.smtp_path()),
                p.emit.clone(),
            ));
        }
        let (mut replies, error) = session.send_pipelined(&commands).await;
        let received = replies.len();
        if mail_pending && !replies.is_empty() {
            mail_pending = false;
            let mail = replies.remove(0);
            if !mail.is_positive() {
                // The RCPTs that travelled with a refused MAIL mean nothing: the refusal is the answer.
                let decision = match refusal(&mail, "MAIL FROM") {
                    Refusal::Decided(decision) => decision,
                    Refusal::Next { reason, detail } => Decision::new(reason, detail, Some(&mail)),
                };
                if let (Reason::Blocked, Some(ip)) = (decision.reason, ip) {
                    note_refusal(ctx, &facts.host, ip, &decision.detail);
                }
                for pending in batch.drain(..) {
                    settle(scheduler, pending, decision.clone(), Some(facts.clone())).await;
                }
                for pending in domain.take_all() {
                    settle(scheduler, pending, decision.clone(), Some(facts.clone())).await;
                }
                session.set_emitter(Emitter::detached());
                if mail.code != 421 {
                    session.quit().await;
                }
                let failure = (mail.code == 421).then_some((decision.reason, decision.detail));
                account_host(ctx, domain, &facts, false, failure).await;
                return;
            }
        }
        if let Some((pending, decision)) = held.take() {
            complete(pending, decision, Some(facts.clone())).await;
        }
        let mut jobs = std::mem::take(&mut batch).into_iter();
        let mut new_transaction = false;
        let mut closing: Option<Reply> = None;
        let mut closed_on = Vec::new();
        let mut abandoned: Option<Reply> = None;
        let mut refused_us = false;
        let mut requeue = Vec::new();
        domain.record_answers(
            replies.len(),
            replies.iter().filter(|r| !r.is_positive()).count(),
        );
        for reply in replies {
            let Some(pending) = jobs.next() else { break };
            if reply.code == 421 {
                // The server is closing the session: this address got no answer.
                closing.get_or_insert_with(|| reply.clone());
                closed_on.push(pending);
                continue;
            }
            if reply.code == 354 {
                // "Start mail input" to a RCPT: the server believes DATA was sent. Nothing more
                // may be written on this session, not even QUIT, lest it become message text.
                let detail = format!(
                    "unexpected reply to RCPT: {} {} (the server acts as if DATA had been sent; session abandoned)",
                    reply.code,
                    reply.text()
                );
                let decision = Decision::new(Reason::ProtocolError, detail, Some(&reply));
                complete(pending, decision, Some(facts.clone())).await;
                abandoned = Some(reply);
                break;
            }
            let trusted = !session.has_unsolicited();
            let about_our_host = refuses_our_host(&reply);
            answered_any |= trusted;
            if trusted
                && !about_our_host
                && let Some(ip) = ip
            {
                ctx.host_limit.proven(ip);
            }
            if too_many_recipients(&reply) && tally.in_transaction > 0 {
                // The transaction is full, not the mailbox: Postfix does not count this as a
                // client error. Remember the server's limit and go on in a new transaction.
                tally.transaction_limit.get_or_insert(tally.in_transaction);
                new_transaction = true;
                requeue.push(pending);
                continue;
            }
            tally.rcpts += 1;
            tally.in_transaction += 1;
            if !reply.is_positive() {
                tally.rejected += 1;
            }
            let class = classify_rcpt(&reply);
            let mut decision = rcpt_decision(class, &reply);
            if decision.reason == Reason::Blocked && about_our_host {
                // About our host, not this mailbox: every other address would get the same.
                if let Some(ip) = ip {
                    note_refusal(ctx, &facts.host, ip, &decision.detail);
                }
                refused_us = true;
            }
            if !trusted {
                decision = untrusted(&reply);
            } else if class == RcptClass::Exists {
                decision = match &domain.provider {
                    Some(provider) if provider.accepts_any_recipient => {
                        accepted_by_provider(decision, &provider.name)
                    }
                    _ => {
                        let catch_all =
                            catch_all(ctx, domain, &mut session, &pending, &mut tally).await;
                        with_catch_all(decision, catch_all, &domain.name)
                    }
                };
            }
            if decision.reason == Reason::Greylisted {
                settle(scheduler, pending, decision, Some(facts.clone())).await;
            } else if let Some((previous, previous_decision)) = held.replace((pending, decision)) {
                complete(previous, previous_decision, Some(facts.clone())).await;
            }
        }
        for pending in requeue.into_iter().rev() {
            domain.push_front(pending);
        }
        if closing.is_some() {
            // Commands after the 421 in the batch were not answered either.
            closed_on.extend(jobs.by_ref());
        }
        if let Some(reply) = &closing {
            let detail = format!(
                "the server closed the session: {} {} (at RCPT TO)",
                reply.code,
                reply.text()
            );
            for pending in closed_on.into_iter().rev() {
                let last = (Reason::TemporaryFailure, detail.as_str(), Some(reply));
                retry_or_give_up(ctx, domain, pending, last, &facts).await;
            }
            failure = Some((Reason::TemporaryFailure, detail));
        }
        if let Some(reply) = abandoned {
            let detail = format!(
                "the session was abandoned after {} {} to RCPT TO",
                reply.code,
                reply.text()
            );
            for pending in jobs.rev() {
                let last = (Reason::ProtocolError, detail.as_str(), None);
                retry_or_give_up(ctx, domain, pending, last, &facts).await;
            }
            if let Some((pending, decision)) = held.take() {
                complete(pending, decision, Some(facts.clone())).await;
            }
            failure = Some((Reason::ProtocolError, detail));
            drop(session);
            account_host(ctx, domain, &facts, answered_any, failure).await;
            return;
        }
        if let Some(e) = error {
            let unanswered: Vec<Pending> = jobs.collect();
            if let Some((pending, decision)) = held.take() {
                complete(pending, decision, Some(facts.clone())).await;
            }
            let partial_batch = pipelining
                && commands.len() > 1
                && received > 0
                && matches!(e, SessionError::Timeout { .. });
            if let (true, Some(ip)) = (partial_batch, ip) {
                // Only part of the batch was answered: the server offers PIPELINING but does
                // not honour it. From now on, one command at a time to this server.
                ctx.remember_broken_pipelining(ip);
                for pending in unanswered.into_iter().rev() {
                    pending
                        .emit
                        .info(format!(
                            "{} answered only {received} of {} pipelined commands: it will be spoken to one command at a time",
                            facts.host,
                            commands.len()
                        ))
                        .await;
                    domain.push_front(pending);
                }
            } else {
                let (reason, detail) = failure
                    .clone()
                    .unwrap_or_else(|| session_failure(&e, "RCPT TO"));
                for pending in unanswered.into_iter().rev() {
                    let last = (reason, detail.as_str(), None);
                    retry_or_give_up(ctx, domain, pending, last, &facts).await;
                }
                failure = Some((reason, detail));
            }
            account_host(ctx, domain, &facts, answered_any, failure).await;
            return;
        }
        if refused_us {
            let unanswered: Vec<Pending> = jobs.collect();
            finish_refused(ctx, domain, unanswered, &facts).await;
            break;
        }
        if closing.is_some() {
            // The server has closed: no QUIT on a dead session.
            if let Some((pending, decision)) = held.take() {
                complete(pending, decision, Some(facts.clone())).await;
            }
            drop(session);
            account_host(ctx, domain, &facts, answered_any, failure).await;
            return;
        }
        if new_transaction {
            session.set_emitter(carrier(&held));
            if !renew_transaction(&mut session, ctx).await {
                break;
            }
            tally.in_transaction = 0;
        }
    }
    session.set_emitter(carrier(&held));
    if let Some((pending, _)) = &held {
        pending.emit.stage(Stage::Quit).await;
    }
    session.quit().await;
    if let Some((pending, decision)) = held.take() {
        complete(pending, decision, Some(facts.clone())).await;
    }
    account_host(ctx, domain, &facts, answered_any, failure).await;
}

/// Counts the session in its host's retry budget: an answer resets the host's failures in a
/// row, a failure backs it off, and a host given up on finishes every address still queued
/// for the domain with the reason.
async fn account_host(
    ctx: &CheckContext,
    domain: &Arc<Domain>,
    facts: &SmtpFacts,
    answered: bool,
    failure: Option<(Reason, String)>,
) {
    let Ok(ip) = facts.ip.parse::<IpAddr>() else {
        return;
    };
    if answered {
        ctx.host_health.succeeded(ip);
    }
    let Some((reason, detail)) = failure else {
        domain.set_failed_ip(None);
        return;
    };
    domain.set_failed_ip(Some(ip));
    let shown = crate::engine::session::open::host_at(&facts.host, ip);
    if let AfterFailure::GivenUp(reason, why) =
        ctx.host_health.failed(ip, &shown, (reason, &detail))
    {
        for pending in domain.take_all() {
            pending.emit.info(why.clone()).await;
            let decision = Decision::new(reason, why.clone(), None);
            complete(pending, decision, Some(facts.clone())).await;
        }
    }
}

/// The server refused us (not a mailbox): `unanswered` and every address still queued for the
/// domain finish at once as `unknown/blocked` with the refusal, without another session.
async fn finish_refused(
    ctx: &CheckContext,
    domain: &Domain,
    unanswered: Vec<Pending>,
    facts: &SmtpFacts,
) {
    let Ok(ip) = facts.ip.parse::<IpAddr>() else {
        return;
    };
    let HostState::GivenUp(reason, why) = ctx.host_health.state(ip, tokio::time::Instant::now())
    else {
        return;
    };
    for pending in unanswered.into_iter().chain(domain.take_all()) {
        pending.emit.info(why.clone()).await;
        let decision = Decision::new(reason, why.clone(), None);
        complete(pending, decision, Some(facts.clone())).await;
    }
}

/// An address whose session ended without an answer for it goes back to the queue, unless it
/// has used its budget of sessions (`engine.max_sessions_per_address`): then it is finished
/// with the last failure's reason and reply.
async fn retry_or_give_up(
    ctx: &CheckContext,
    domain: &Domain,
    mut pending: Pending,
    (reason, detail, reply): (Reason, &str, Option<&Reply>),
    facts: &SmtpFacts,
) {
    pending.unanswered_sessions += 1;
    let budget = ctx.config.engine.max_sessions_per_address.max(1);
    let used = pending.unanswered_sessions;
    pending.prepared.report.attempts.push(Attempt {
        host: facts.host.clone(),
        ip: Some(facts.ip.clone()),
        outcome: detail.to_string(),
    });
    if used >= budget {
        let detail = format!("no answer after {used} sessions; the last: {detail}");
        pending.emit.info(detail.clone()).await;
        complete(
            pending,
            Decision::new(reason, detail, reply),
            Some(facts.clone()),
        )
        .await;
    } else {
        pending
            .emit
            .info(format!(
                "{detail}; will try again in a new session ({used} of {budget} sessions used)"
            ))
            .await;
        domain.push_front(pending);
    }
}

/// The decision for a reply followed by bytes nobody asked for (an unsolicited `354`, replies
/// sent ahead): the server is out of step, so its answer proves nothing.
fn untrusted(reply: &Reply) -> Decision {
    let detail = format!(
        "{} {} was followed by data nobody asked for: the server is out of step with the commands, so its answer proves nothing",
        reply.code,
        reply.text()
    );
    Decision::new(Reason::ProtocolError, detail, Some(reply))
}

/// Who carries the session's own lines (RSET, MAIL, QUIT): the held address, else nobody.
fn carrier(held: &Option<(Pending, Decision)>) -> Emitter {
    match held {
        Some((pending, _)) => pending.emit.clone(),
        None => Emitter::detached(),
    }
}

/// 452 4.5.3 / "too many recipients": the transaction is full, not the mailbox.
fn too_many_recipients(reply: &Reply) -> bool {
    let enhanced = reply.enhanced.map(|e| (e.class, e.subject, e.detail));
    (reply.code == 452 || reply.code == 552)
        && (enhanced == Some((4, 5, 3))
            || enhanced == Some((5, 5, 3))
            || reply
                .text()
                .to_ascii_lowercase()
                .contains("too many recipients"))
}

/// RSET and a new MAIL FROM; false when the session cannot go on.
async fn renew_transaction(
    session: &mut Session,
    ctx: &crate::engine::context::CheckContext,
) -> bool {
    match session.send(&Command::Rset).await {
        Ok(reply) if reply.is_positive() => {}
        _ => return false,
    }
    let utf8 = session.offers("SMTPUTF8");
    matches!(session.send(&mail_from(ctx, utf8)).await, Ok(reply) if reply.is_positive())
}

/// The domain's catch-all answer: probed in this session if nobody has yet.
async fn catch_all(
    ctx: &crate::engine::context::CheckContext,
    domain: &Domain,
    session: &mut Session,
    pending: &Pending,
    tally: &mut Tally,
) -> Option<bool> {
    if !ctx.config.smtp.catch_all_probe {
        return None;
    }
    if let Some(provider) = domain.provider.as_ref().filter(|p| p.skips_probe()) {
        pending
            .emit
            .info(format!(
                "catch-all probe skipped: {} (provider rule)",
                provider.name
            ))
            .await;
        return None;
    }
    // A domain's catch-all result from the history, when it is young enough
    // (`history.catch_all_for`), stands in for the probe.
    let known = if domain.catch_all.initialized() || ctx.server.is_some() {
        None
    } else {
        ctx.reuse
            .as_ref()
            .and_then(|r| r.catch_all_fact(&domain.name))
    };
    let mut probed = false;
    let answer = *domain
        .catch_all
        .get_or_init(|| {
            probed = known.is_none();
            if probed {
                session.set_emitter(pending.emit.clone());
            }
            async {
                if let Some((yes, _)) = known {
                    return Some(yes);
                }
                pending.emit.stage(Stage::CatchAllProbe).await;
                probe_catch_all(session, ctx, &pending.emit, probe_address(&domain.name)).await
            }
        })
        .await;
    if probed {
        tally.rcpts += 1;
        tally.in_transaction += 1;
        if answer != Some(true) {
            tally.rejected += 1;
        }
    } else if let Some((yes, at)) = known {
        let age = crate::history::age(at, crate::history::now_ms());
        let text = format!(
            "catch-all: {} (from history: probed {age} ago; history.catch_all_for)",
            if yes { "yes" } else { "no" }
        );
        pending.emit.info(text).await;
    } else {
        let text = match answer {
            Some(true) => "catch-all: yes (probed once for the domain)",
            Some(false) => "catch-all: no (probed once for the domain)",
            None => "catch-all: not known (the domain's probe gave no answer)",
        };
        pending.emit.info(text).await;
    }
    answer
}
