//! What replies and failures mean for a report: the decision an SMTP exchange reached, the
//! verdict of a DNS answer, and how a decision is written into a [`Report`].

use crate::engine::dns::{DnsFailure, MailHosts};
use crate::engine::judge::classify::{RcptClass, SessionClass, classify_session, text_explains};
use crate::engine::judge::status_codes;
use crate::engine::judge::verdict::{Reason, Report, SmtpFacts};
use crate::engine::smtp::reply::Reply;
use crate::engine::smtp::session::SessionError;

/// An answer about one address.
#[derive(Clone, Debug)]
pub struct Decision {
    /// The reason (and so the verdict).
    pub reason: Reason,
    /// One human sentence.
    pub detail: String,
    /// The reply that decided, if one did.
    pub reply: Option<Reply>,
    /// Catch-all result, if probed.
    pub catch_all: Option<bool>,
    /// The domain's provider answers 250 to every RCPT (a provider rule), so the domain
    /// accepts any address whether probed or not.
    pub accepts_any: bool,
}

impl Decision {
    /// A decision with no catch-all result.
    pub fn new(reason: Reason, detail: impl Into<String>, reply: Option<&Reply>) -> Self {
        Decision {
            reason,
            detail: detail.into(),
            reply: reply.cloned(),
            catch_all: None,
            accepts_any: false,
        }
    }
}

/// What a refusal before RCPT means.
pub enum Refusal {
    /// This is the answer for the address (e.g. we are blocked).
    Decided(Decision),
    /// Try the next host.
    Next { reason: Reason, detail: String },
}

/// A reply that refused the session before RCPT (greeting, EHLO, MAIL FROM).
pub fn refusal(reply: &Reply, at: &str) -> Refusal {
    let text = format!("{} at {at}", quoted(reply));
    let decided =
        |reason, detail: String| Refusal::Decided(Decision::new(reason, detail, Some(reply)));
    if reply.code == 530 || reply.text().to_ascii_uppercase().contains("STARTTLS") {
        return decided(
            Reason::TlsFailed,
            format!("server requires STARTTLS: {text}"),
        );
    }
    match classify_session(reply) {
        SessionClass::Blocked => decided(Reason::Blocked, format!("we were refused: {text}")),
        SessionClass::NoMailService => decided(
            Reason::NoMailServer,
            format!("server accepts no mail: {text}"),
        ),
        SessionClass::Greylisted => decided(Reason::Greylisted, format!("deferred: {text}")),
        SessionClass::TemporaryFailure => Refusal::Next {
            reason: Reason::TemporaryFailure,
            detail: text,
        },
        SessionClass::ProtocolError | SessionClass::Accepted => Refusal::Next {
            reason: Reason::ProtocolError,
            detail: text,
        },
    }
}

/// The reason a broken session gives, and a detail naming where it broke.
pub fn session_failure(e: &SessionError, stage: &str) -> (Reason, String) {
    let reason = match e {
        SessionError::Timeout { .. } => Reason::Timeout,
        SessionError::Closed | SessionError::Io(_) => Reason::ConnectionFailed,
        SessionError::Tls(_) | SessionError::StartTlsInjection => Reason::TlsFailed,
        SessionError::Reply(_) | SessionError::Unsafe(_) | SessionError::Unsolicited(_) => {
            Reason::ProtocolError
        }
    };
    (reason, format!("{e} (at {stage})"))
}

/// The decision a RCPT reply gives.
pub fn rcpt_decision(class: RcptClass, reply: &Reply) -> Decision {
    let text = quoted(reply);
    let (reason, detail) = match class {
        RcptClass::Exists => (Reason::Ok, format!("mailbox accepted: {text}")),
        RcptClass::CannotVerify => (
            Reason::AcceptAll,
            format!("server cannot verify the mailbox but will accept mail: {text}"),
        ),
        RcptClass::NoSuchUser => (Reason::NoSuchUser, format!("no such mailbox: {text}")),
        RcptClass::BadAddress => (
            Reason::InvalidSyntax,
            format!("the server finds the address malformed: {text}"),
        ),
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

/// A reply as the detail quotes it: its code and text, and, for a refusal whose text says
/// nothing clearer, what the registry says its codes mean (`553 5.1.3 <a@b>: rejected (5.1.3: the
/// server finds the address malformed)`).
fn quoted(reply: &Reply) -> String {
    let quoted = format!("{} {}", reply.code, reply.text());
    match status_codes::explain(reply) {
        Some(meaning) if reply.class() >= 4 && !text_explains(reply) => {
            format!("{quoted} ({meaning})")
        }
        _ => quoted,
    }
}

/// Marks an accepted address as belonging to a catch-all domain (or not).
pub fn with_catch_all(mut decision: Decision, catch_all: Option<bool>, domain: &str) -> Decision {
    decision.catch_all = catch_all;
    if catch_all == Some(true) && decision.reason == Reason::Ok {
        decision.reason = Reason::AcceptAll;
        decision.detail =
            format!("{domain} accepts any address (catch-all): acceptance proves nothing");
    }
    decision
}

/// An accepted address at a provider that answers 250 to every RCPT: acceptance proves
/// nothing, as at a catch-all domain.
pub fn accepted_by_provider(mut decision: Decision, provider_name: &str) -> Decision {
    if decision.reason == Reason::Ok {
        decision.reason = Reason::AcceptAll;
        decision.detail = format!(
            "{provider_name} accepts every address at RCPT and bounces later: acceptance proves nothing (provider rule)"
        );
    }
    decision.accepts_any = true;
    decision
}

/// The verdict of a DNS answer that gives no host to try.
pub fn dns_verdict(result: &MailHosts, domain: &str) -> (Reason, String) {
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

/// Writes a decision (and the facts of the session that reached it) into a report.
pub fn apply_decision(report: &mut Report, facts: Option<SmtpFacts>, decision: Decision) {
    let mut facts = facts;
    if let (Some(facts), Some(reply)) = (facts.as_mut(), &decision.reply) {
        facts.code = Some(reply.code);
        facts.enhanced_code = reply.enhanced;
        facts.message = Some(reply.message());
    }
    if facts.is_some() {
        report.smtp = facts;
    }
    report.catch_all = decision.catch_all;
    report.flags.accept_all = decision.catch_all == Some(true) || decision.accepts_any;
    let mut reason = decision.reason;
    let mut detail = decision.detail;
    // A throwaway domain makes an otherwise good answer risky; a bad answer stays bad.
    if report.flags.disposable && matches!(reason, Reason::Ok | Reason::AcceptAll) {
        reason = Reason::Disposable;
        detail = format!("{detail}; but the domain is a disposable-address service");
    }
    report.set_reason(reason, detail);
}
