//! The result of one check: [`Report`] with its [`Verdict`], [`Reason`] and [`Flags`].
//!
//! These types are the public contract of `--json` and CSV output (see ARCHITECTURE.md,
//! "Verdicts"). The verdict is derived from the reason, so the two can never disagree.

use serde::{Deserialize, Serialize};

use super::schema::SchemaVersion;
use crate::engine::knowledge::providers::ProviderTag;
use crate::engine::smtp::reply::EnhancedCode;
use crate::engine::transcript::TranscriptLine;

/// The four answers mxknock gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The server accepted the mailbox and is not a catch-all.
    Deliverable,
    /// Mail may arrive, but something makes it doubtful.
    Risky,
    /// We could not tell.
    Unknown,
    /// Mail to this address will not arrive.
    Undeliverable,
}

impl Verdict {
    /// All verdicts, in the order of increasing badness.
    pub const ALL: [Verdict; 4] = [
        Verdict::Deliverable,
        Verdict::Risky,
        Verdict::Unknown,
        Verdict::Undeliverable,
    ];

    /// The lowercase name used in JSON, CSV and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Deliverable => "deliverable",
            Verdict::Risky => "risky",
            Verdict::Unknown => "unknown",
            Verdict::Undeliverable => "undeliverable",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a verdict was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The mailbox exists.
    Ok,
    /// The address is not a valid RFC 5321 mailbox.
    InvalidSyntax,
    /// The domain does not exist (NXDOMAIN).
    NoSuchDomain,
    /// The domain publishes a null MX (RFC 7505): it accepts no mail.
    NullMx,
    /// The domain exists but has neither MX nor A/AAAA records, or refuses all mail.
    NoMailServer,
    /// The server says the mailbox does not exist.
    NoSuchUser,
    /// The mailbox exists but is disabled.
    MailboxDisabled,
    /// The domain accepts any address, so acceptance proves nothing.
    AcceptAll,
    /// The mailbox is over quota.
    MailboxFull,
    /// The domain is a throwaway-address service.
    Disposable,
    /// The server deferred us with a temporary error, typically greylisting.
    Greylisted,
    /// The server rejected us (our IP, rDNS, a blocklist, a policy), not the mailbox.
    Blocked,
    /// Outbound port 25 is unusable from here: connects to several mail servers of different
    /// domains all failed, and so did the check hosts of large providers.
    PortBlocked,
    /// DNS or SMTP did not answer in time.
    Timeout,
    /// No mail server could be reached, or the connection was lost.
    ConnectionFailed,
    /// STARTTLS was required but failed or was not offered.
    TlsFailed,
    /// The server broke the protocol (malformed or oversized replies, unexpected codes).
    ProtocolError,
    /// A temporary failure on the server or DNS side other than greylisting.
    TemporaryFailure,
}

impl Reason {
    /// The verdict this reason belongs to.
    pub fn verdict(self) -> Verdict {
        use Reason::*;
        match self {
            Ok => Verdict::Deliverable,
            InvalidSyntax | NoSuchDomain | NullMx | NoMailServer | NoSuchUser | MailboxDisabled => {
                Verdict::Undeliverable
            }
            AcceptAll | MailboxFull | Disposable => Verdict::Risky,
            Greylisted | Blocked | PortBlocked | Timeout | ConnectionFailed | TlsFailed
            | ProtocolError | TemporaryFailure => Verdict::Unknown,
        }
    }

    /// The snake_case name used in JSON, CSV and the UI.
    pub fn as_str(self) -> &'static str {
        use Reason::*;
        match self {
            Ok => "ok",
            InvalidSyntax => "invalid_syntax",
            NoSuchDomain => "no_such_domain",
            NullMx => "null_mx",
            NoMailServer => "no_mail_server",
            NoSuchUser => "no_such_user",
            MailboxDisabled => "mailbox_disabled",
            AcceptAll => "accept_all",
            MailboxFull => "mailbox_full",
            Disposable => "disposable",
            Greylisted => "greylisted",
            Blocked => "blocked",
            PortBlocked => "port_blocked",
            Timeout => "timeout",
            ConnectionFailed => "connection_failed",
            TlsFailed => "tls_failed",
            ProtocolError => "protocol_error",
            TemporaryFailure => "temporary_failure",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Facts beside the verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// The domain is a throwaway-address service.
    pub disposable: bool,
    /// The local part names a role (postmaster, info, sales ...), not a person.
    pub role_account: bool,
    /// The domain is a free webmail provider.
    pub free_provider: bool,
    /// The domain accepts any address: it accepted a random one (catch-all), or its provider
    /// is known to answer 250 to every RCPT.
    pub accept_all: bool,
}

impl Flags {
    /// The names of the flags that are set, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.disposable, "disposable"),
            (self.role_account, "role_account"),
            (self.free_provider, "free_provider"),
            (self.accept_all, "accept_all"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// One MX host of the domain, as DNS gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxRecord {
    /// The exchange host name, without the trailing dot.
    pub host: String,
    /// The MX preference (lower is tried first).
    pub preference: u16,
    /// True for an implicit MX: the domain's own A/AAAA record (RFC 5321 5.1).
    pub implicit: bool,
}

/// What TLS gave us after STARTTLS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFacts {
    /// Protocol version, e.g. "TLSv1.3".
    pub version: String,
    /// Negotiated cipher suite.
    pub cipher: String,
    /// Subject of the server's certificate.
    pub subject: Option<String>,
    /// Issuer of the server's certificate.
    pub issuer: Option<String>,
    /// Whether the certificate validated against the public web PKI for the MX name.
    pub verified: bool,
    /// Why it did not validate, when it did not.
    pub verify_error: Option<String>,
}

/// Facts of the SMTP session that decided the verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpFacts {
    /// The MX host name we spoke to.
    pub host: String,
    /// Its IP address.
    pub ip: String,
    /// The TCP port.
    pub port: u16,
    /// Basic code of the deciding reply.
    pub code: Option<u16>,
    /// Enhanced status code of the deciding reply (RFC 3463).
    pub enhanced_code: Option<EnhancedCode>,
    /// Text of the deciding reply.
    pub message: Option<String>,
    /// TLS facts when STARTTLS succeeded.
    pub tls: Option<TlsFacts>,
    /// The EHLO keywords the server advertised (last EHLO).
    pub extensions: Vec<String>,
}

/// One attempt to reach an MX host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The MX host name.
    pub host: String,
    /// The address dialled, if resolution got that far.
    pub ip: Option<String>,
    /// What happened, in a few words.
    pub outcome: String,
}

/// Time spent per stage, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTimes {
    /// DNS resolution of MX and host addresses.
    pub dns_ms: u64,
    /// TCP connect and greeting.
    pub connect_ms: u64,
    /// EHLO, STARTTLS, MAIL, RCPT and QUIT.
    pub smtp_ms: u64,
}

/// Everything mxknock found out about one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// `"schema_version": 1` ([`super::schema::JSON_SCHEMA_VERSION`]), first in every JSON
    /// report.
    pub schema_version: SchemaVersion,
    /// The address as given.
    pub address: String,
    /// The normalised address (domain in A-label form), when it parsed.
    pub normalized: Option<String>,
    /// The verdict (always `reason.verdict()`).
    pub verdict: Verdict,
    /// The reason for the verdict.
    pub reason: Reason,
    /// One human sentence explaining the verdict.
    pub detail: String,
    /// Flags beside the verdict.
    pub flags: Flags,
    /// The quality score, 0-100 (see [`super::score`]: set when the check finishes).
    pub score: u8,
    /// A probable correction for a mistyped provider domain.
    pub suggestion: Option<String>,
    /// Who runs the domain's mail servers, told from the MX host names (or the `--server`
    /// name): `{"id": ..., "name": ...}`, or null when no known provider matches.
    pub provider: Option<ProviderTag>,
    /// The domain's MX hosts in the order they were tried.
    pub mx: Vec<MxRecord>,
    /// The SMTP session that decided, if any.
    pub smtp: Option<SmtpFacts>,
    /// Whether the domain accepts any address; null when not tested.
    pub catch_all: Option<bool>,
    /// Every MX host attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Time per stage.
    pub stages: StageTimes,
    /// Total time of the check in milliseconds.
    pub duration_ms: u64,
    /// When the check finished (RFC 3339, UTC, to the second).
    #[serde(default)]
    pub checked_at: Option<String>,
    /// The result was taken from the history (younger than `history.reuse_for`), not asked
    /// for now; `checked_at` says when it was.
    #[serde(default)]
    pub from_history: bool,
    /// The conversation, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<TranscriptLine>>,
}

impl Report {
    /// A report with the given reason and nothing else filled in.
    pub fn new(address: impl Into<String>, reason: Reason, detail: impl Into<String>) -> Self {
        Report {
            schema_version: SchemaVersion,
            address: address.into(),
            normalized: None,
            verdict: reason.verdict(),
            reason,
            detail: detail.into(),
            flags: Flags::default(),
            score: 0,
            suggestion: None,
            provider: None,
            mx: Vec::new(),
            smtp: None,
            catch_all: None,
            attempts: Vec::new(),
            stages: StageTimes::default(),
            duration_ms: 0,
            checked_at: None,
            from_history: false,
            transcript: None,
        }
    }

    /// Sets the reason and the verdict that follows from it.
    pub fn set_reason(&mut self, reason: Reason, detail: impl Into<String>) {
        self.reason = reason;
        self.verdict = reason.verdict();
        self.detail = detail.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_maps_to_the_verdict_architecture_md_gives() {
        let table = [
            ("ok", "deliverable"),
            ("invalid_syntax", "undeliverable"),
            ("no_such_domain", "undeliverable"),
            ("null_mx", "undeliverable"),
            ("no_mail_server", "undeliverable"),
            ("no_such_user", "undeliverable"),
            ("mailbox_disabled", "undeliverable"),
            ("accept_all", "risky"),
            ("mailbox_full", "risky"),
            ("disposable", "risky"),
            ("greylisted", "unknown"),
            ("blocked", "unknown"),
            ("port_blocked", "unknown"),
            ("timeout", "unknown"),
            ("connection_failed", "unknown"),
            ("tls_failed", "unknown"),
            ("protocol_error", "unknown"),
            ("temporary_failure", "unknown"),
        ];
        use Reason::*;
        let all = [
            Ok,
            InvalidSyntax,
            NoSuchDomain,
            NullMx,
            NoMailServer,
            NoSuchUser,
            MailboxDisabled,
            AcceptAll,
            MailboxFull,
            Disposable,
            Greylisted,
            Blocked,
            PortBlocked,
            Timeout,
            ConnectionFailed,
            TlsFailed,
            ProtocolError,
            TemporaryFailure,
        ];
        assert_eq!(all.len(), table.len());
        for (reason, (name, verdict)) in all.iter().zip(table) {
            assert_eq!(reason.as_str(), name);
            assert_eq!(reason.verdict().as_str(), verdict, "{name}");
            let json = serde_json::to_string(reason).unwrap();
            assert_eq!(json, format!("\"{name}\""));
        }
    }

    #[test]
    fn set_reason_keeps_verdict_in_step() {
        let mut report = Report::new("a@b.test", Reason::Ok, "");
        report.set_reason(Reason::Greylisted, "450");
        assert_eq!(report.verdict, Verdict::Unknown);
        assert_eq!(report.detail, "450");
    }
}
