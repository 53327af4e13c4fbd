//! The per-address strategy: one connection per address and a catch-all probe per address, the
//! way most verifiers work. The engine's default is the scheduler (one session for many
//! addresses of a domain); this path serves `Strategy::PerAddress`, the naive side of the
//! benchmark, and is the reference the scheduler's answers are compared with.

use rand::RngExt;

use super::classify::{RcptClass, classify_rcpt};
use super::connect::{Ledger, Request, open_session};
use super::context::CheckContext;
use super::emit::Emitter;
use super::event::Stage;
use super::global_slot::GlobalSlots;
use super::outcome::{Decision, apply_decision, rcpt_decision, session_failure, with_catch_all};
use super::prepare::{Prep, finish, prepare};
use super::smtp::command::Command;
use super::verdict::Report;

/// Checks `input` on its own connection, whose global slot comes from `slots`, and returns its
/// report.
pub async fn check_address(
    input: &str,
    ctx: &CheckContext,
    emit: &Emitter,
    slots: &mut GlobalSlots,
) -> Report {
    let prepared = match prepare(input, ctx, emit).await {
        Prep::Done(report) => return report,
        Prep::Ready(prepared) => prepared,
    };
    let mut report = prepared.report;
    let address = prepared.address;
    let request = Request {
        domain: address.domain(),
        hosts: &prepared.hosts,
        smtputf8: address.needs_smtputf8(),
        defer_mail: false,
    };
    let mut ledger = Ledger {
        attempts: &mut report.attempts,
        stages: &mut report.stages,
    };
    let ready = open_session(request, ctx, emit, &mut ledger, slots).await;
    let (decision, facts) = match ready {
        Err(failure) => (failure.decision, failure.facts),
        Ok(mut ready) => {
            emit.stage(Stage::RcptTo).await;
            ctx.stats.rcpt_sent();
            let decision = match ready
                .session
                .send(&Command::RcptTo(address.smtp_path()))
                .await
            {
                Ok(rcpt) => {
                    if !super::classify::refuses_our_host(&rcpt)
                        && let Ok(ip) = ready.facts.ip.parse()
                    {
                        ctx.host_trials.proven(ip);
                    }
                    let class = classify_rcpt(&rcpt);
                    let decision = rcpt_decision(class, &rcpt);
                    if class == RcptClass::Exists && ctx.config.smtp.catch_all_probe {
                        emit.stage(Stage::CatchAllProbe).await;
                        let probe = probe_address(address.domain());
                        let catch_all = probe_catch_all(&mut ready.session, ctx, emit, probe).await;
                        with_catch_all(decision, catch_all, address.domain())
                    } else {
                        decision
                    }
                }
                Err(e) => {
                    let (reason, detail) = session_failure(&e, "RCPT TO");
                    Decision::new(reason, detail, None)
                }
            };
            emit.stage(Stage::Quit).await;
            ready.session.quit().await;
            (decision, Some(ready.facts))
        }
    };
    apply_decision(&mut report, facts, decision);
    finish(report, prepared.started)
}

/// Sends RCPT for a random address: Some(true) accepted (catch-all), Some(false) refused,
/// None when the answer says nothing (4xx, broken session).
pub async fn probe_catch_all(
    session: &mut super::smtp::session::Session,
    ctx: &CheckContext,
    emit: &Emitter,
    probe: String,
) -> Option<bool> {
    ctx.stats.rcpt_sent();
    match session.send(&Command::RcptTo(probe)).await {
        Ok(reply) if reply.is_positive() => {
            emit.info("a random address was accepted too: catch-all domain")
                .await;
            Some(true)
        }
        Ok(reply) if reply.is_permanent() => Some(false),
        Ok(_) => None,
        Err(e) => {
            emit.info(format!("catch-all probe failed: {e}")).await;
            None
        }
    }
}

/// A local part nobody has: 20 lowercase letters and digits, at `domain`.
pub fn probe_address(domain: &str) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let local: String = (0..20)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    format!("{local}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_addresses_are_long_and_random() {
        let a = probe_address("x.test");
        let b = probe_address("x.test");
        let local = a.split('@').next().unwrap();
        assert!(local.len() >= 16);
        assert_ne!(a, b);
        assert!(a.ends_with("@x.test"));
        assert!(
            local
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
