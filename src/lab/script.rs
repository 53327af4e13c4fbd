//! How a lab SMTP server behaves: one [`Script`] per scripted server.

use std::time::Duration;

/// What the server does when a client connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Greeting {
    /// `220 <name> ESMTP mxknock-lab`
    Normal,
    /// Never says anything (a tarpit).
    Never,
    /// A greeting full of terminal escape sequences, then an EHLO reply line far over 4 KiB.
    Hostile,
    /// `421 4.3.2 too many concurrent connections, try again later`, then hang up: a server
    /// under load.
    Busy,
}

/// Who has a mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mailboxes {
    /// These local parts exist, and so does every local part starting with "ok"; others get
    /// 550 5.1.1.
    Users(&'static [&'static str]),
    /// Every address is accepted.
    CatchAll,
}

/// How the server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The host name it announces.
    pub name: &'static str,
    /// Its greeting behaviour.
    pub greeting: Greeting,
    /// EHLO refused with 502 (HELO only).
    pub helo_only: bool,
    /// STARTTLS advertised.
    pub starttls: bool,
    /// MAIL before STARTTLS gets 530 5.7.0.
    pub requires_tls: bool,
    /// Who exists.
    pub mailboxes: Mailboxes,
    /// RCPTs get 450 4.7.1 until this long after a recipient was first seen.
    pub greylist: Option<Duration>,
    /// RCPTs get 554 5.7.1 ... blocked using zen.spamhaus.org.
    pub blocks_us: bool,
    /// The connection is closed right after the EHLO reply.
    pub drops_after_ehlo: bool,
    /// Extra delay before each reply, on top of the lab's latency.
    pub slow: Duration,
    /// RCPTs beyond this many in one transaction get 452 4.5.3 too many recipients.
    pub max_rcpts_per_transaction: Option<usize>,
}

impl Script {
    /// A well-behaved Postfix-like server with STARTTLS.
    pub const fn standard(name: &'static str, users: &'static [&'static str]) -> Script {
        Script {
            name,
            greeting: Greeting::Normal,
            helo_only: false,
            starttls: true,
            requires_tls: false,
            mailboxes: Mailboxes::Users(users),
            greylist: None,
            blocks_us: false,
            drops_after_ehlo: false,
            slow: Duration::ZERO,
            max_rcpts_per_transaction: None,
        }
    }
}

/// Local parts with special answers on every `Users` server.
pub fn special_rcpt_reply(local: &str, address: &str) -> Option<String> {
    match local {
        "carol" | "full" => Some(format!(
            "552 5.2.2 <{address}>: Recipient address rejected: Mailbox full"
        )),
        "denied" => Some(format!(
            "554 5.7.1 <{address}>: Recipient address rejected: Access denied"
        )),
        "badsyntax" => Some(format!(
            "553 5.1.3 <{address}>: Recipient address rejected: bad address syntax"
        )),
        "notfound" => Some(
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"
                .to_string(),
        ),
        // A basic code no standard defines, with an enhanced code; text that says nothing.
        "odd" => Some(format!("559 5.1.1 <{address}>: rejected")),
        "dave" | "disabled" => Some(format!(
            "550 5.2.1 <{address}>: Recipient address rejected: The email account that you tried to reach is disabled"
        )),
        _ => None,
    }
}
