//! What a server's reply means for the address being verified.
//!
//! Pure functions over [`Reply`]: [`classify_rcpt`] for the reply to `RCPT TO`, which speaks
//! about the mailbox, and [`classify_session`] for the greeting, `EHLO`/`HELO` and `MAIL FROM`,
//! where a rejection is about us or the server. [`is_about_us`] tells the two kinds of rejection
//! apart.
//!
//! A reply is read through the status-code registry ([`status_codes`]): a basic code no
//! standard defines is read by its first digit (RFC 5321 §4.2.1); an enhanced code with a
//! specific bearing on the mailbox (no such mailbox, bad syntax, full, disabled, about us ...)
//! decides; a vague one ("other", the server's trouble, protocol) lets the text speak first.
//! The text is matched case-insensitively against tables of phrases seen from Postfix, Exim,
//! Microsoft 365/Exchange, Google, Yahoo and others. One rule outranks them all: a rejection
//! that is about us (our IP, its reverse DNS, a blocklist, reputation, policy, relaying, our
//! connection rate) is [`RcptClass::Blocked`] and never [`RcptClass::NoSuchUser`], because the
//! mailbox may well exist. Server load (a 421, `4.3.2`, "try again later" with no word about
//! us) is a temporary failure, not a refusal of us.

use crate::engine::judge::status_codes::{self, Bearing, standard_equivalent};
use crate::engine::smtp::reply::Reply;

/// What the reply to `RCPT TO` says about the mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RcptClass {
    /// The server accepted the recipient (250, 251).
    Exists,
    /// The server cannot verify the mailbox but will try to deliver (252).
    CannotVerify,
    /// The mailbox does not exist.
    NoSuchUser,
    /// The server finds the address malformed (`553 5.1.3`).
    BadAddress,
    /// The mailbox exists but is over its quota.
    MailboxFull,
    /// The mailbox exists but is disabled, suspended or no longer active.
    MailboxDisabled,
    /// A transient rejection that greylisting or throttling would give; worth asking again later.
    Greylisted,
    /// The rejection is about us (IP, rDNS, blocklist, reputation, policy), not the mailbox.
    Blocked,
    /// The server has a transient problem of its own (closing, out of resources, too many
    /// recipients).
    TemporaryFailure,
    /// The domain or host accepts no mail at all (521, 556, null MX).
    NoMailService,
    /// The reply makes no sense for `RCPT TO` (syntax errors, 3xx, impossible codes).
    ProtocolError,
}

/// For replies to the greeting, EHLO/HELO and MAIL FROM, where a rejection is about us or the server, not the mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionClass {
    /// The server lets the session go on (2xx, or 3xx).
    Accepted,
    /// A transient rejection with greylisting words; worth asking again later.
    Greylisted,
    /// The server refuses us (policy, blocklist, reputation, rDNS, our sender).
    Blocked,
    /// The server has a transient problem (421 and other 4xx).
    TemporaryFailure,
    /// The host accepts no mail at all (521, 556).
    NoMailService,
    /// The server did not understand us (500-504) or sent an impossible code.
    ProtocolError,
}

/// Phrases that put a refusal on our host or our sender as a whole, not on one recipient: a
/// server that says them will say them for every address (see [`refuses_our_host`]). Part of
/// what makes a rejection about us.
///
/// Phrases are lowercase and match at word boundaries; a trailing `*` matches any word ending.
const ABOUT_OUR_HOST: &[&str] = &[
    // Blocklists and reputation.
    "spamhaus*",
    "spamcop*",
    "barracuda*",
    "sorbs*",
    "uceprotect*",
    "rbl*",
    "dnsbl*",
    "blacklist*",
    "black list*",
    "blocklist*",
    "block list*",
    "denylist*",
    "deny list*",
    "blocked using",
    "listed",
    "reputation",
    // Our host: IP, reverse DNS, HELO name.
    "reverse dns",
    "reverse hostname",
    "reverse lookup",
    "rdns",
    "ptr",
    "client host",
    "your ip",
    "sending ip",
    "helo command rejected",
    "invalid helo",
    "helo name",
    "bad helo",
    // Our sender.
    "sender address rejected",
];

/// More phrases saying a rejection is about the client, but not always about every address:
/// our volume, our sender, relaying, or the site's policy. With [`ABOUT_OUR_HOST`], what makes
/// a rejection about us.
const ABOUT_US: &[&str] = &[
    "blocked",
    "banned",
    "spam",
    "unsolicited",
    // Our sender.
    "sender rejected",
    "sender denied",
    "sender verify failed",
    "unauthenticated",
    "authentication required",
    "not allowed to send",
    "not authorized to send",
    // Policy.
    "policy",
    "policies",
    "administrative prohibition",
    // Volume and rate: ours. "Too many connections" alone is the server's load (see
    // [`SERVER_LOAD`]); "... from <our IP>" is about us.
    "rate limit*",
    "too many connections from",
    "too many concurrent connections from",
    "too many concurrent smtp connections from",
    "too many smtp connections from",
    "unusual rate",
    "unexpected volume",
    "temporarily deferred due to",
    "permanently deferred",
    // Relaying: the server does not take mail for the domain from us.
    "relay access denied",
    "relaying denied",
    "relay denied",
    "relay not permitted",
    "relaying not allowed",
    "unable to relay",
    "rcpthosts",
];

/// Mailbox phrases that contain an [`ABOUT_US`] word but are not about us (Lotus Domino's
/// "User not listed in public Name & Address Book"). They are blanked out before matching.
const NOT_ABOUT_US: &[&str] = &[
    "user not listed",
    "recipient not listed",
    "address not listed",
    "not listed in public",
    "not listed in the directory",
    "not listed in domino directory",
];

/// Words that name greylisting itself.
const GREYLISTING: &[&str] = &["greylist*", "graylist*", "grey-list*", "gray-list*"];

/// "Come back later" phrases: greylisting at `RCPT TO`, the server's load elsewhere.
const RETRY_LATER: &[&str] = &[
    "try again later",
    "try later",
    "please retry",
    "retry later",
    "come back later",
    "deferred",
];

/// The server's own load, not a refusal of us (unless the text also names our host).
const SERVER_LOAD: &[&str] = &[
    "too many connections",
    "too many concurrent",
    "server ports are busy",
    "server busy",
    "server is busy",
    "system busy",
    "overloaded",
    "maximum number of concurrent",
    "service currently unavailable",
    "service not available",
    "service unavailable",
];

/// The server refuses more recipients in this transaction (RFC 5321 §4.5.3.1.10).
const TOO_MANY_RECIPIENTS: &[&str] = &["too many recipients"];

/// The server itself is out of storage, as opposed to the mailbox.
const SYSTEM_STORAGE: &[&str] = &["insufficient system storage"];

/// The mailbox is over its quota.
const MAILBOX_FULL: &[&str] = &[
    "full",
    "quota",
    "over quota",
    "insufficient storage",
    "storage allocation",
    "out of storage",
    "mailbox size limit",
];

/// The mailbox exists but does not take mail.
const MAILBOX_DISABLED: &[&str] = &[
    "disabled",
    "inactive",
    "suspended",
    "deactivated",
    "account has been disabled",
    "no longer active",
];

/// The domain or host takes no mail at all.
const NO_MAIL_SERVICE: &[&str] = &[
    "does not accept mail",
    "does not receive mail",
    "accepts no mail",
    "null mx",
];

/// The mailbox does not exist.
const NO_SUCH_USER: &[&str] = &[
    "user unknown",
    "unknown user",
    "no such user",
    "no such mailbox",
    "no such recipient",
    "no such address",
    "does not exist",
    "doesn't exist",
    "unrouteable address",
    "unroutable address",
    "unknown recipient",
    "recipient not found",
    "recipientnotfound",
    "recipnotfound",
    "user not found",
    "mailbox not found",
    "mailbox unavailable",
    "mailbox is unavailable",
    "invalid recipient",
    "invalid mailbox",
    "invalid address",
    "bad destination mailbox",
    "no mailbox",
    "user doesn't have",
    "not our customer",
    "address rejected",
];

/// Text rules for 5xx replies to `RCPT TO`, first match wins.
const PERMANENT_TEXT: &[(&[&str], RcptClass)] = &[
    (TOO_MANY_RECIPIENTS, RcptClass::TemporaryFailure),
    (SYSTEM_STORAGE, RcptClass::TemporaryFailure),
    (MAILBOX_FULL, RcptClass::MailboxFull),
    (MAILBOX_DISABLED, RcptClass::MailboxDisabled),
    (NO_MAIL_SERVICE, RcptClass::NoMailService),
    (NO_SUCH_USER, RcptClass::NoSuchUser),
];

/// Text rules for 4xx replies to `RCPT TO`, first match wins.
const TRANSIENT_TEXT: &[(&[&str], RcptClass)] = &[
    (TOO_MANY_RECIPIENTS, RcptClass::TemporaryFailure),
    (SYSTEM_STORAGE, RcptClass::TemporaryFailure),
    (MAILBOX_FULL, RcptClass::MailboxFull),
    (GREYLISTING, RcptClass::Greylisted),
    (RETRY_LATER, RcptClass::Greylisted),
];

/// Every phrase table: a reply whose text matches none of them says nothing clearer than its
/// codes ([`text_explains`]).
const ALL_PHRASES: &[&[&str]] = &[
    ABOUT_OUR_HOST,
    ABOUT_US,
    GREYLISTING,
    RETRY_LATER,
    SERVER_LOAD,
    TOO_MANY_RECIPIENTS,
    SYSTEM_STORAGE,
    MAILBOX_FULL,
    MAILBOX_DISABLED,
    NO_MAIL_SERVICE,
    NO_SUCH_USER,
];

/// What the reply to `RCPT TO` says about the mailbox.
pub fn classify_rcpt(reply: &Reply) -> RcptClass {
    match reply.class() {
        2 if reply.code == 252 => RcptClass::CannotVerify,
        2 => RcptClass::Exists,
        4 => classify_transient_rcpt(reply, &Text::of(reply)),
        5 => classify_permanent_rcpt(reply, &Text::of(reply)),
        _ => RcptClass::ProtocolError,
    }
}

/// A 4xx reply to `RCPT TO`.
fn classify_transient_rcpt(reply: &Reply, text: &Text) -> RcptClass {
    if text.is_about_us() {
        return RcptClass::Blocked;
    }
    let code = standard_equivalent(reply.code);
    if code == 421 {
        return RcptClass::TemporaryFailure;
    }
    let bearing = status_codes::bearing(reply);
    let by_code = bearing.and_then(|bearing| transient_class(bearing, reply));
    if let Some(class) = by_code.filter(|_| bearing.is_some_and(Bearing::is_specific)) {
        return class;
    }
    if let Some(class) = text.first_rule(TRANSIENT_TEXT) {
        return class;
    }
    if let Some(class) = by_code {
        return class;
    }
    match code {
        452 => RcptClass::TemporaryFailure, // at RCPT, RFC 5321 uses 452 for too many recipients
        _ => RcptClass::Greylisted,
    }
}

/// What a 4.x.x code's bearing means at `RCPT TO`; `None` when it says nothing.
fn transient_class(bearing: Bearing, reply: &Reply) -> Option<RcptClass> {
    Some(match bearing {
        // The mailbox may be there next time: worth asking again (Postfix's "unverified
        // address" 450 4.1.1, Google's 450 4.2.1 receiving-rate deferral).
        Bearing::Valid | Bearing::NoSuchMailbox | Bearing::BadSyntax | Bearing::Disabled => {
            RcptClass::Greylisted
        }
        Bearing::Full => RcptClass::MailboxFull,
        // 4.7.0 and 4.7.1 with no word about us are what greylisters send; other 4.7.x name a
        // check of us (4.7.25 reverse DNS, 4.7.23 SPF ...).
        Bearing::AboutUs if reply.enhanced.is_some_and(|code| code.detail <= 1) => {
            RcptClass::Greylisted
        }
        Bearing::AboutUs => RcptClass::Blocked,
        Bearing::NoMailService
        | Bearing::ServerTrouble
        | Bearing::TooManyRecipients
        | Bearing::Protocol
        | Bearing::Message => RcptClass::TemporaryFailure,
        Bearing::Nothing => return None,
    })
}

/// A 5xx reply to `RCPT TO`.
fn classify_permanent_rcpt(reply: &Reply, text: &Text) -> RcptClass {
    if text.is_about_us() {
        return RcptClass::Blocked;
    }
    let code = standard_equivalent(reply.code);
    match code {
        500..=504 | 555 => return RcptClass::ProtocolError,
        521 | 556 => return RcptClass::NoMailService,
        _ => {}
    }
    if let Some(class) = server_habits(reply, text) {
        return class;
    }
    let bearing = status_codes::bearing(reply);
    let by_code = bearing.and_then(permanent_class);
    if let Some(class) = by_code.filter(|_| bearing.is_some_and(Bearing::is_specific)) {
        return class;
    }
    if let Some(class) = text.first_rule(PERMANENT_TEXT) {
        return class;
    }
    if let Some(class) = by_code {
        return class;
    }
    match code {
        550 | 551 | 553 => RcptClass::NoSuchUser,
        552 => RcptClass::MailboxFull,
        554 | 530..=539 => RcptClass::Blocked,
        _ => RcptClass::ProtocolError,
    }
}

/// Enhanced codes that servers in wide use give their own meaning at `RCPT TO`:
/// - Microsoft 365 / Exchange Online: directory-based edge blocking answers `550 5.4.1 ...
///   Access denied` for a recipient not in the tenant, and `550 5.1.10
///   RESOLVER.ADR.RecipientNotFound` is their "no such user", where the registry has X.1.10
///   for a null MX (which we would have seen in DNS before dialling);
/// - OpenSMTPD: an address its virtual table does not hold (with no `rcpt-to` filter) fails
///   alias expansion, `524 5.2.4 Mailing list expansion problem`: no mailbox is behind it.
fn server_habits(reply: &Reply, text: &Text) -> Option<RcptClass> {
    let code = reply.enhanced?;
    match (code.subject, code.detail) {
        (4, 1) if text.mentions("access denied") => Some(RcptClass::NoSuchUser),
        (1, 10) if !text.mentions("null mx") => Some(RcptClass::NoSuchUser),
        (2, 4) if text.mentions("expansion problem") => Some(RcptClass::NoSuchUser),
        _ => None,
    }
}

/// What a 5.x.x code's bearing means at `RCPT TO`; `None` when it says nothing.
fn permanent_class(bearing: Bearing) -> Option<RcptClass> {
    Some(match bearing {
        Bearing::NoSuchMailbox => RcptClass::NoSuchUser,
        Bearing::BadSyntax => RcptClass::BadAddress,
        Bearing::NoMailService => RcptClass::NoMailService,
        Bearing::Disabled => RcptClass::MailboxDisabled,
        Bearing::Full => RcptClass::MailboxFull,
        Bearing::AboutUs => RcptClass::Blocked,
        Bearing::TooManyRecipients | Bearing::ServerTrouble => RcptClass::TemporaryFailure,
        // A permanent failure saying the address is valid contradicts itself.
        Bearing::Valid | Bearing::Protocol | Bearing::Message => RcptClass::ProtocolError,
        Bearing::Nothing => return None,
    })
}

/// For replies to the greeting, EHLO/HELO and MAIL FROM: whether the session can go on.
pub fn classify_session(reply: &Reply) -> SessionClass {
    match reply.class() {
        2 | 3 => SessionClass::Accepted,
        4 => classify_transient_session(reply, &Text::of(reply)),
        5 => classify_permanent_session(reply, &Text::of(reply)),
        _ => SessionClass::ProtocolError,
    }
}

/// A 4xx reply outside `RCPT TO`: greylisting only when the text names it; "try again
/// later", a 421, 4.3.2 or a bare 4.7.0/4.7.1 without a word about us is the server's load;
/// a 4.7.x naming a check of us (4.7.25 reverse DNS, 4.7.28 mail flood ...) refuses us.
fn classify_transient_session(reply: &Reply, text: &Text) -> SessionClass {
    let checks_us = status_codes::bearing(reply) == Some(Bearing::AboutUs)
        && reply.enhanced.is_some_and(|code| code.detail > 1);
    if text.is_about_us() || checks_us {
        SessionClass::Blocked
    } else if text.mentions_any(GREYLISTING) {
        SessionClass::Greylisted
    } else {
        SessionClass::TemporaryFailure
    }
}

/// A 5xx reply outside `RCPT TO`.
fn classify_permanent_session(reply: &Reply, text: &Text) -> SessionClass {
    let policy_code = reply.enhanced.is_some_and(|code| code.subject == 7);
    if text.is_about_us() || policy_code {
        return SessionClass::Blocked;
    }
    let no_mail_code = status_codes::bearing(reply) == Some(Bearing::NoMailService);
    match standard_equivalent(reply.code) {
        521 | 556 => SessionClass::NoMailService,
        500..=504 => SessionClass::ProtocolError,
        _ if no_mail_code || text.mentions_any(NO_MAIL_SERVICE) => SessionClass::NoMailService,
        _ => SessionClass::Blocked,
    }
}

/// True when the reply's text says in words what happened (it matches one of the phrase
/// tables); when it does not, the registry's meaning of its codes says it for the report
/// ([`status_codes::explain`]).
pub fn text_explains(reply: &Reply) -> bool {
    let text = Text::of(reply);
    ALL_PHRASES.iter().any(|phrases| text.mentions_any(phrases))
}

/// True when a refusal is about our host (IP, rDNS, HELO, a blocklist, reputation) or our
/// sender, so it holds for every address at that server; a per-recipient policy refusal
/// (`Recipient address rejected: Access denied`) is not.
pub fn refuses_our_host(reply: &Reply) -> bool {
    if reply.class() < 4 {
        return false; // not a refusal at all
    }
    let text = Text::of(reply);
    if text.mentions("recipient address rejected") || !text.is_about_us() {
        return false;
    }
    text.mentions_any(ABOUT_OUR_HOST)
}

/// True when a reply's text says the rejection is about the client (our IP, rDNS, blocklist, reputation, policy), not the mailbox.
pub fn is_about_us(reply: &Reply) -> bool {
    Text::of(reply).is_about_us()
}

/// A reply's message (enhanced codes stripped), lowercased for matching.
struct Text(String);

impl Text {
    fn of(reply: &Reply) -> Self {
        Text(reply.message().to_lowercase())
    }

    /// Whether any [`ABOUT_OUR_HOST`] or [`ABOUT_US`] phrase occurs outside the [`NOT_ABOUT_US`] phrases.
    fn is_about_us(&self) -> bool {
        let masked = NOT_ABOUT_US
            .iter()
            .fold(self.0.clone(), |text, phrase| text.replace(phrase, " "));
        ABOUT_OUR_HOST
            .iter()
            .chain(ABOUT_US)
            .any(|pattern| mentions(&masked, pattern))
    }

    fn mentions(&self, pattern: &str) -> bool {
        mentions(&self.0, pattern)
    }

    fn mentions_any(&self, patterns: &[&str]) -> bool {
        patterns.iter().any(|pattern| self.mentions(pattern))
    }

    /// The class of the first rule with a matching phrase.
    fn first_rule(&self, rules: &[(&[&str], RcptClass)]) -> Option<RcptClass> {
        rules
            .iter()
            .find(|(patterns, _)| self.mentions_any(patterns))
            .map(|&(_, class)| class)
    }
}

/// Whether `text` holds `pattern` as whole words; a trailing `*` in the pattern lets the last
/// word go on ("blacklist*" matches "blacklisted").
fn mentions(text: &str, pattern: &str) -> bool {
    let (needle, open_end) = match pattern.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (pattern, false),
    };
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric)
            && (open_end || !after.is_some_and(char::is_alphanumeric))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::smtp::reply::ReplyAssembler;

    #[test]
    fn refusals_of_our_host_are_told_from_per_recipient_policy() {
        let ours = [
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
            "550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]",
            "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]",
            "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
            "550 5.7.1 Your IP 192.0.2.1 has a poor reputation",
            "554 5.7.1 <a@b.test>: Sender address rejected: Domain not found",
        ];
        for line in ours {
            assert!(refuses_our_host(&reply(&[line])), "{line}");
        }
        let per_recipient = [
            "554 5.7.1 <bob@x.test>: Recipient address rejected: Access denied",
            "550 5.1.1 <bob@x.test>: Recipient address rejected: User unknown",
            "250 2.1.5 Ok",
            "550 5.7.1 Relaying denied",
        ];
        for line in per_recipient {
            assert!(!refuses_our_host(&reply(&[line])), "{line}");
        }
    }

    /// A reply from its lines, through the real assembler.
    fn reply(lines: &[&str]) -> Reply {
        let mut assembler = ReplyAssembler::new();
        for line in lines {
            if let Some(reply) = assembler.push(line).expect("well-formed line") {
                return reply;
            }
        }
        panic!("reply not complete: {lines:?}");
    }

    #[test]
    fn rcpt_replies() {
        use RcptClass::*;
        let cases: &[(&[&str], RcptClass)] = &[
            // Accepted.
            (&["250 2.1.5 Ok"], Exists),
            (&["250 Accepted"], Exists),
            (&["250 2.1.5 <alice@example.com>... Recipient ok"], Exists),
            (
                &["251 2.1.5 User not local; will forward to <a@b.example>"],
                Exists,
            ),
            (
                &["252 2.1.5 Cannot VRFY user, but will accept message"],
                CannotVerify,
            ),
            // No such user: Postfix, Exim, cPanel, qmail, Sendmail, Google, Microsoft, others.
            (
                &[
                    "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
                ],
                NoSuchUser,
            ),
            (
                &[
                    "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table",
                ],
                NoSuchUser,
            ),
            (&["550 Unrouteable address"], NoSuchUser),
            (&["550 No Such User Here"], NoSuchUser),
            (
                &["550 sorry, no mailbox here by that name. (#5.1.1)"],
                NoSuchUser,
            ),
            (
                &["550 5.1.1 <nobody@example.com>... User unknown"],
                NoSuchUser,
            ),
            (
                &[
                    "550-5.1.1 The email account that you tried to reach does not exist. Please try",
                    "550-5.1.1 double-checking the recipient's email address for typos or",
                    "550-5.1.1 unnecessary spaces. For more information, go to",
                    "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-a1b2c3 - gsmtp",
                ],
                NoSuchUser,
            ),
            (
                &[
                    "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
                ],
                NoSuchUser,
            ),
            (
                &["550 Requested action not taken: mailbox unavailable"],
                NoSuchUser,
            ),
            (
                &[
                    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [AM4PEPF00027A5F.eurprd04.prod.outlook.com]",
                ],
                NoSuchUser,
            ),
            (
                &[
                    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
                ],
                NoSuchUser,
            ),
            (
                &["550 5.1.1 <nobody@icloud.com>: user does not exist"],
                NoSuchUser,
            ),
            (
                &["550 5.1.1 User does not exist - <nobody@zoho.example>"],
                NoSuchUser,
            ),
            (&["550 5.1.1 Not our Customer"], NoSuchUser),
            (
                &["550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550"],
                NoSuchUser,
            ),
            (
                &[
                    "554 delivery error: dd This user doesn't have a yahoo.com account (nobody@yahoo.com) [0] - mta1234.mail.bf1.yahoo.com",
                ],
                NoSuchUser,
            ),
            (
                &["552 1 Requested mail action aborted, mailbox not found"],
                NoSuchUser,
            ),
            (
                &["550 5.1.1 User not listed in public Name & Address Book"],
                NoSuchUser,
            ),
            (&["553 5.1.6 Mailbox has moved"], NoSuchUser),
            (&["550 5.1.0 Address rejected."], NoSuchUser),
            (
                &["551 User not local; please try <x@elsewhere.example>"],
                NoSuchUser,
            ),
            (
                &[
                    "550 Message was not accepted -- invalid mailbox. Local mailbox nobody@mail.example is unavailable: user not found",
                ],
                NoSuchUser,
            ),
            // Mailbox full.
            (&["552 5.2.2 <x@example.com>: Mailbox full"], MailboxFull),
            (&["452 4.2.2 Mailbox full"], MailboxFull),
            (
                &[
                    "452-4.2.2 The recipient's inbox is out of storage space. Please direct the",
                    "452-4.2.2 recipient to",
                    "452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp - gsmtp",
                ],
                MailboxFull,
            ),
            (&["552 5.2.2 Mailbox size limit exceeded"], MailboxFull),
            (&["550 Mailbox quota exceeded"], MailboxFull),
            (
                &["552 Requested mail action aborted: exceeded storage allocation"],
                MailboxFull,
            ),
            // Mailbox disabled.
            (
                &[
                    "550-5.2.1 The email account that you tried to reach is disabled. Learn more at",
                    "550 5.2.1  https://support.google.com/mail/?p=DisabledUser - gsmtp",
                ],
                MailboxDisabled,
            ),
            (
                &["550 5.2.1 The email account that you tried to reach is disabled"],
                MailboxDisabled,
            ),
            (&["550 Account has been suspended"], MailboxDisabled),
            (&["550 This mailbox is no longer active"], MailboxDisabled),
            // Blocked: about us, never about the mailbox.
            (
                &[
                    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
                ],
                Blocked,
            ),
            (
                &["550 5.7.606 Access denied, banned sending IP [192.0.2.1]"],
                Blocked,
            ),
            (
                &[
                    "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
                ],
                Blocked,
            ),
            (
                &["554 5.7.1 <nobody@example.com>: Relay access denied"],
                Blocked,
            ),
            (&["550 relay not permitted"], Blocked),
            (
                &["553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"],
                Blocked,
            ),
            (
                &[
                    "550-5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to",
                    "550-5.7.1 send email directly to our servers. Please use the SMTP relay at your",
                    "550 5.7.1 service provider instead. - gsmtp",
                ],
                Blocked,
            ),
            (
                &[
                    "550-5.7.25 [192.0.2.1] The IP address sending this message does not have a",
                    "550 5.7.25 PTR record setup - gsmtp",
                ],
                Blocked,
            ),
            (
                &[
                    "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
                ],
                Blocked,
            ),
            (
                &[
                    "554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation",
                ],
                Blocked,
            ),
            (
                &["550 5.7.1 Message rejected due to content policy"],
                Blocked,
            ),
            (
                &["554 5.7.9 Message not accepted for policy reasons"],
                Blocked,
            ),
            (&["550 Administrative prohibition"], Blocked),
            (
                &["550 5.1.1 Client host rejected: your IP is listed on dnsbl.sorbs.net"],
                Blocked,
            ),
            (
                &["550 5.1.1 Sender address rejected: User unknown in local recipient table"],
                Blocked,
            ),
            (
                &[
                    "450 4.1.8 <bounce@ourdomain.example>: Sender address rejected: Domain not found",
                ],
                Blocked,
            ),
            (
                &["450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]"],
                Blocked,
            ),
            (
                &[
                    "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1",
                ],
                Blocked,
            ),
            (
                &[
                    "421-4.7.0 [192.0.2.1] Our system has detected an unusual rate of",
                    "421 4.7.0 unsolicited mail originating from your IP address. - gsmtp",
                ],
                Blocked,
            ),
            (
                &["451 4.7.1 Service unavailable - try again later; listed at bl.spamcop.net"],
                Blocked,
            ),
            (
                &["550 Access denied - Invalid HELO name (See RFC2821 4.1.1.1)"],
                Blocked,
            ),
            (
                &["554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help) (BL)"],
                Blocked,
            ),
            (&["530 5.7.0 Authentication required"], Blocked),
            // Greylisting and other "later".
            (
                &[
                    "450 4.7.1 <x@y.example>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/y.example.html",
                ],
                Greylisted,
            ),
            (&["451 4.7.1 Please try again later"], Greylisted),
            (
                &["450 4.2.0 <x@y.example>: Recipient address rejected: Greylisted"],
                Greylisted,
            ),
            (
                &["451 Greylisting in action, please come back later"],
                Greylisted,
            ),
            (
                &["451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77719)"],
                Greylisted,
            ),
            (
                &[
                    "450-4.2.1 The user you are trying to contact is receiving mail at a rate that",
                    "450 4.2.1 prevents additional messages from being delivered. - gsmtp",
                ],
                Greylisted,
            ),
            (
                &[
                    "450 4.1.1 <x@y.example>: Recipient address rejected: unverified address: host mx.y.example said: 450 try later",
                ],
                Greylisted,
            ),
            (
                &["450 Requested mail action not taken: mailbox unavailable"],
                Greylisted,
            ),
            // Temporary failures of the server.
            (&["452 4.5.3 Too many recipients"], TemporaryFailure),
            (
                &["452 Too many recipients received this hour"],
                TemporaryFailure,
            ),
            (
                &["452 Requested action not taken: insufficient system storage"],
                TemporaryFailure,
            ),
            (&["452 4.3.1 Insufficient system storage"], TemporaryFailure),
            (
                &["421 4.7.0 Try again later, closing connection"],
                TemporaryFailure,
            ),
            (
                &["421 4.3.2 Service not available, closing transmission channel"],
                TemporaryFailure,
            ),
            (&["451 4.4.3 Temporary DNS failure"], TemporaryFailure),
            (&["552 5.5.3 Too many recipients"], TemporaryFailure),
            // No mail service.
            (&["556 5.1.10 Recipient address has null MX"], NoMailService),
            (
                &["521 5.3.2 mx.example does not accept mail"],
                NoMailService,
            ),
            (
                &["550 5.1.2 <x@nowhere.example>: Recipient address rejected: Domain not found"],
                NoMailService,
            ),
            (&["550 This domain does not accept mail"], NoMailService),
            // Protocol errors.
            (&["500 5.5.1 Command unrecognized"], ProtocolError),
            (&["501 5.1.3 Bad recipient address syntax"], ProtocolError),
            (&["503 5.5.1 Error: need MAIL command"], ProtocolError),
            (&["555 5.5.4 Unsupported option: SMTPUTF8"], ProtocolError),
            (&["354 End data with <CR><LF>.<CR><LF>"], ProtocolError),
            (&["550 5.7.17 Mailbox owner has changed"], ProtocolError),
            // Codes no standard defines are read by their first digit (RFC 5321 §4.2.1),
            // with the enhanced code and the text deciding as for a standard one.
            (&["559 what"], NoSuchUser),
            (
                &["559 5.1.1 <bob@x.example>: no such user here"],
                NoSuchUser,
            ),
            (&["571 5.7.1 Delivery not authorized"], Blocked),
            (&["558 5.2.2 Over quota"], MailboxFull),
            (&["506 what"], ProtocolError),
            (
                &["471 4.7.1 Greylisted, come back in 5 minutes"],
                Greylisted,
            ),
            // The misreadings the registry fixed.
            (
                &[
                    "553 5.1.3 <bad..dots@x.example>: Recipient address rejected: bad address syntax",
                ],
                BadAddress,
            ),
            (&["553 5.1.3 Invalid recipient address"], BadAddress),
            (
                &[
                    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
                ],
                NoSuchUser,
            ),
            (
                &["550 5.1.10 <bob@x.example>: Recipient address rejected"],
                NoSuchUser,
            ),
            (
                &["554 5.7.1 <bob@x.example>: Recipient address rejected: Access denied"],
                Blocked,
            ),
            (&["450 4.2.1 Mailbox temporarily unavailable"], Greylisted),
            (
                &[
                    "450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered",
                ],
                Greylisted,
            ),
            (
                &["421 4.3.2 too many concurrent connections"],
                TemporaryFailure,
            ),
            (&["451 4.7.25 Reverse DNS validation failed"], Blocked),
            (&["550 5.4.4 Unable to route"], TemporaryFailure),
            (&["550 5.3.0 User unknown"], NoSuchUser),
            (&["550 5.3.0 Other mail system problem"], TemporaryFailure),
            // OpenSMTPD, an unknown virtual user without a rcpt-to filter.
            (
                &["524 5.2.4 Mailing list expansion problem: <nobody@smtpd.test>"],
                NoSuchUser,
            ),
            (&["550 5.2.4 list too big"], ProtocolError),
        ];
        assert!(cases.len() >= 40);
        for (lines, expected) in cases {
            let got = classify_rcpt(&reply(lines));
            assert_eq!(got, *expected, "{lines:?}");
        }
    }

    #[test]
    fn about_us_is_never_no_such_user() {
        let blocked = [
            "550 5.1.1 <x@y.example>: blocked by policy",
            "550 User unknown; also you are blacklisted",
            "553 5.1.1 Your IP has a poor reputation",
            "450 4.1.1 user unknown, rate limited",
        ];
        for line in blocked {
            assert_eq!(classify_rcpt(&reply(&[line])), RcptClass::Blocked, "{line}");
        }
    }

    #[test]
    fn session_replies() {
        use SessionClass::*;
        let cases: &[(&[&str], SessionClass)] = &[
            (&["220 mx.example ESMTP Postfix"], Accepted),
            (
                &["250-mx.example Hello", "250-PIPELINING", "250 8BITMIME"],
                Accepted,
            ),
            (&["250 2.1.0 Ok"], Accepted),
            (&["354 go ahead"], Accepted),
            (
                &[
                    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
                ],
                Blocked,
            ),
            (&["554 mx.example ESMTP not accepting messages"], Blocked),
            (
                &["550 5.7.1 Sender address rejected: Access denied"],
                Blocked,
            ),
            (
                &[
                    "553 5.1.8 <bounce@ourdomain.example>: Sender address rejected: Domain not found",
                ],
                Blocked,
            ),
            (&["550 5.7.0 Unexpected error"], Blocked),
            (&["530 5.7.0 Must issue a STARTTLS command first"], Blocked),
            (
                &["421 4.7.0 mx.example Error: too many connections from 192.0.2.1"],
                Blocked,
            ),
            (
                &["421 4.3.2 Service not available, closing transmission channel"],
                TemporaryFailure,
            ),
            (
                &["450 4.3.2 Service currently unavailable"],
                TemporaryFailure,
            ),
            // "Try again later" with no word about us, a 421 or 4.3.2: the server's load.
            (&["451 4.7.1 Please try again later"], TemporaryFailure),
            (
                &["421 4.7.0 Try again later, closing connection"],
                TemporaryFailure,
            ),
            (
                &["421 4.3.2 too many concurrent connections, try again later"],
                TemporaryFailure,
            ),
            (&["421 4.3.2 All server ports are busy"], TemporaryFailure),
            (
                &[
                    "421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel",
                ],
                TemporaryFailure,
            ),
            (
                &["421 Too many concurrent SMTP connections; please try again later."],
                TemporaryFailure,
            ),
            // ... but a limit on connections from our IP, or a greylister, is not.
            (
                &[
                    "421 Too many concurrent SMTP connections from this IP address; please try again later.",
                ],
                Blocked,
            ),
            (
                &["451 4.7.1 Greylisting in action, please come back later"],
                Greylisted,
            ),
            (
                &["421 4.7.28 Mail flood detected from your network"],
                Blocked,
            ),
            (&["550 5.7.28 Mail flood detected"], Blocked),
            (
                &["521 5.3.2 mx.example does not accept mail"],
                NoMailService,
            ),
            (&["556 5.1.10 Recipient address has null MX"], NoMailService),
            (&["550 5.1.2 Host does not accept mail"], NoMailService),
            (&["500 5.5.1 Command unrecognized: \"EHLO\""], ProtocolError),
            (&["501 5.5.4 Syntax: HELO hostname"], ProtocolError),
            (&["502 5.5.2 Error: command not recognized"], ProtocolError),
            (
                &["504 5.5.2 Helo command rejected: need fully-qualified hostname"],
                Blocked,
            ),
            (&["559 what"], Blocked),
        ];
        for (lines, expected) in cases {
            let got = classify_session(&reply(lines));
            assert_eq!(got, *expected, "{lines:?}");
        }
    }

    #[test]
    fn impossible_codes_are_protocol_errors() {
        for code in [0, 199, 600, 999, u16::MAX] {
            let reply = Reply {
                code,
                enhanced: None,
                lines: vec!["blocked".into()],
            };
            assert_eq!(classify_rcpt(&reply), RcptClass::ProtocolError, "{code}");
            assert_eq!(
                classify_session(&reply),
                SessionClass::ProtocolError,
                "{code}"
            );
        }
    }

    #[test]
    fn about_us_texts() {
        let cases = [
            (
                "554 Client host [192.0.2.1] blocked using zen.spamhaus.org",
                true,
            ),
            ("550 Your IP is blacklisted", true),
            ("550 Listed in b.barracudacentral.org", true),
            (
                "550 rejected because 192.0.2.1 is in a black list at dnsbl.sorbs.net",
                true,
            ),
            ("550 5.7.1 Reverse DNS lookup failed", true),
            ("550 no rDNS for 192.0.2.1", true),
            ("550 Missing PTR record", true),
            ("550 Relaying denied", true),
            ("550 Message refused by policy", true),
            ("421 Rate limit exceeded", true),
            ("421 Too many connections", false), // the server's load
            ("421 Too many connections from 192.0.2.1", true),
            ("550 You are not allowed to send mail", true),
            ("550 Client host rejected", true),
            ("550 5.1.1 User unknown", false),
            (
                "550 5.1.1 User not listed in public Name & Address Book",
                false,
            ),
            ("550 5.4.1 Recipient address rejected: Access denied", false),
            (
                "550 The email account that you tried to reach does not exist",
                false,
            ),
            // Whole words only: "listed" in "unlisted", "rbl" in "verbless" or "superblock" do not count.
            ("550 mailbox unlisted", false),
            ("550 verbless", false),
            ("550 superblock error", false),
        ];
        for (line, expected) in cases {
            assert_eq!(is_about_us(&reply(&[line])), expected, "{line}");
        }
    }

    #[test]
    fn word_matching() {
        let cases = [
            ("blacklisted here", "blacklist*", true),
            ("blacklisted here", "blacklist", false),
            ("is listed", "listed", true),
            ("unlisted", "listed", false),
            ("zen.spamhaus.org", "spamhaus*", true),
            ("mailbox full.", "full", true),
            ("fully qualified", "full", false),
            ("", "full", false),
        ];
        for (text, pattern, expected) in cases {
            assert_eq!(mentions(text, pattern), expected, "{text:?} / {pattern}");
        }
    }
}
