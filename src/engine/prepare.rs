//! The part of a check before SMTP: parse the address, set the list flags, resolve the MX
//! hosts (once per domain per run). Ends the check early when that already decides.

use std::sync::Arc;
use std::time::Instant;

use super::context::CheckContext;
use super::dns::MailHosts;
use super::emit::Emitter;
use super::event::Stage;
use super::judge::outcome::dns_verdict;
use super::judge::score::score;
use super::judge::verdict::{Flags, MxRecord, Reason, Report};
use super::knowledge::lists;
use super::knowledge::providers::Provider;
use crate::address::Address;

/// An address ready for SMTP.
pub struct Prepared {
    /// The parsed address.
    pub address: Address,
    /// The report so far (flags, MX, DNS time).
    pub report: Report,
    /// Hosts to try, in order.
    pub hosts: Vec<MxRecord>,
    /// Who runs them, when a known provider does (its rules apply to the sessions).
    pub provider: Option<Arc<Provider>>,
    /// When the check started.
    pub started: Instant,
}

/// Either ready for SMTP, or already decided (bad syntax, no such domain, null MX ...).
pub enum Prep {
    /// Go on with SMTP.
    Ready(Prepared),
    /// The check is over.
    Done(Report),
}

/// Parses `input` and resolves its domain.
pub async fn prepare(input: &str, ctx: &CheckContext, emit: &Emitter, reuse: bool) -> Prep {
    let started = Instant::now();
    let address = match Address::parse(input) {
        Ok(address) => address,
        Err(e) => {
            emit.info(format!("invalid address: {e}")).await;
            return Prep::Done(finish(
                Report::new(input, Reason::InvalidSyntax, e.to_string()),
                started,
            ));
        }
    };
    if reuse && let Some(report) = from_history(input, &address, ctx, emit).await {
        return Prep::Done(report);
    }
    let mut report = Report::new(input, Reason::Ok, "");
    report.normalized = Some(address.smtp_path());
    report.suggestion = ctx
        .typo_of(address.domain())
        .map(|domain| format!("{}@{domain}", address.local_part()));
    report.flags = Flags {
        // Upstream's disposable list holds typo domains (gmial.com) too; a typo of a real
        // provider carries the suggestion instead of the disposable flag.
        disposable: report.suggestion.is_none() && lists::is_disposable(address.domain()),
        role_account: lists::is_role_account(address.local_part()),
        free_provider: lists::is_free_provider(address.domain()),
        accept_all: false,
    };
    if let Some(s) = &report.suggestion {
        emit.info(format!("did you mean {s}?")).await;
    }
    if let Some(server) = ctx.server.as_deref() {
        emit.info(format!(
            "--server {server}: MX lookup for {} skipped",
            address.domain()
        ))
        .await;
        let hosts = vec![MxRecord {
            host: server.to_string(),
            preference: 0,
            implicit: false,
        }];
        let provider = name_provider(&mut report, &hosts, ctx, emit).await;
        return Prep::Ready(Prepared {
            address,
            report,
            hosts,
            provider,
            started,
        });
    }
    emit.stage(Stage::Resolving).await;
    emit.info(format!("resolving MX for {}", address.domain()))
        .await;
    let dns_started = Instant::now();
    let (answer, looked_up) = ctx.mail_hosts(address.domain()).await;
    report.stages.dns_ms = dns_started.elapsed().as_millis() as u64;
    let hosts = match answer {
        MailHosts::Hosts(hosts) => hosts,
        other => {
            let (reason, detail) = dns_verdict(&other, address.domain());
            emit.info(detail.clone()).await;
            report.set_reason(reason, detail);
            return Prep::Done(finish(report, started));
        }
    };
    let cached = if looked_up { "" } else { " (cached)" };
    for mx in &hosts {
        let text = if mx.implicit {
            format!(
                "no MX records; implicit MX: {} (its A/AAAA records){cached}",
                mx.host
            )
        } else {
            format!("MX {} {}{cached}", mx.preference, mx.host)
        };
        emit.info(text).await;
    }
    report.mx = hosts.clone();
    let provider = name_provider(&mut report, &hosts, ctx, emit).await;
    if reuse && let Some(at) = refused_us_before(&mut report, address.domain(), ctx, emit).await {
        let mut report = finish(report, started);
        report.checked_at = Some(crate::history::rfc3339(at));
        return Prep::Done(report);
    }
    Prep::Ready(Prepared {
        address,
        report,
        hosts,
        provider,
        started,
    })
}

/// The stored result that answers `address`, when the history has one young enough (never an
/// unknown one), marked as such and said in the transcript.
async fn from_history(
    input: &str,
    address: &Address,
    ctx: &CheckContext,
    emit: &Emitter,
) -> Option<Report> {
    let found = ctx.reuse.as_ref()?.lookup(&address.smtp_path())?;
    let mut report = found.report;
    report.address = input.to_string();
    report.from_history = true;
    report.checked_at = Some(crate::history::rfc3339(found.checked_at_ms));
    emit.info_unrecorded(format!(
        "from history, checked {} ago ({}): {} / {}; --fresh asks again",
        crate::history::age(found.checked_at_ms, crate::history::now_ms()),
        report.checked_at.as_deref().unwrap_or_default(),
        report.verdict,
        report.reason
    ))
    .await;
    Some(report)
}

/// Whether a server of `domain` refused us (our IP, rDNS, HELO, a blocklist) recently enough
/// (`history.refused_us_for`) that it is not asked again: then `report` is `unknown/blocked`
/// with the server's words, marked as from the history, and the transcript says so; returns
/// when the refusal was (ms since the epoch).
async fn refused_us_before(
    report: &mut Report,
    domain: &str,
    ctx: &CheckContext,
    emit: &Emitter,
) -> Option<i64> {
    let (why, at) = ctx.reuse.as_ref()?.refused_us_fact(domain)?;
    let ago = crate::history::age(at, crate::history::now_ms());
    let detail = format!(
        "a server of {domain} refused us {ago} ago, so it is not asked again yet \
         (history.refused_us_for; --fresh asks): {why}"
    );
    emit.info_unrecorded(detail.clone()).await;
    report.set_reason(Reason::Blocked, detail);
    report.from_history = true;
    Some(at)
}

/// Names the provider of `hosts` in the report (and the transcript), and returns it for its
/// rules.
async fn name_provider(
    report: &mut Report,
    hosts: &[MxRecord],
    ctx: &CheckContext,
    emit: &Emitter,
) -> Option<Arc<Provider>> {
    let provider = ctx
        .providers
        .identify(hosts.iter().map(|mx| mx.host.as_str()))?;
    let mut rules = Vec::new();
    if provider.accepts_any_recipient {
        rules.push("accepts every RCPT".to_string());
    }
    if provider.skips_probe() {
        rules.push("no catch-all probe".to_string());
    }
    if let Some(secs) = provider.command_timeout {
        rules.push(format!("replies may take up to {secs} s"));
    }
    let rules = if rules.is_empty() {
        String::new()
    } else {
        format!(" (rules: {})", rules.join(", "))
    };
    emit.info(format!("mail provider: {}{rules}", provider.name))
        .await;
    report.provider = Some(provider.tag());
    Some(provider)
}

/// Stamps the total duration and the score: the report is final.
pub fn finish(mut report: Report, started: Instant) -> Report {
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.checked_at = Some(crate::history::rfc3339(crate::history::now_ms()));
    report.score = score(&report);
    report
}
