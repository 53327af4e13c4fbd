//! The status-code registry as one table: every entry of IANA's "SMTP Enhanced Status Codes"
//! registry (RFC 3463, RFC 5248 and the later additions up to X.7.30, as of its 2024-12-06
//! update) and the basic reply codes of RFC 5321 with those of RFC 4954 and RFC 7504, each with
//! its meaning in plain words and what it tells about the mailbox being verified ([`Bearing`]).
//!
//! [`crate::engine::judge::classify`] reads a reply through these tables; the detail line of a
//! report quotes [`explain`] when the server's own words say nothing clearer. A basic code that
//! is not in [`BASIC`] is read by its first digit, as RFC 5321 §4.2.1 asks of a client
//! ([`standard_equivalent`]).

use crate::engine::smtp::reply::{EnhancedCode, Reply};

/// What an enhanced status code tells about the mailbox being verified, whatever its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bearing {
    /// The address is valid (X.1.5).
    Valid,
    /// The mailbox does not exist, or moved without a forwarding address.
    NoSuchMailbox,
    /// The address is malformed as the server sees it (X.1.3).
    BadSyntax,
    /// The domain or host takes no mail (bad destination system, null MX).
    NoMailService,
    /// The mailbox exists but takes no mail (X.2.1).
    Disabled,
    /// The mailbox is over its quota (X.2.2).
    Full,
    /// About us, not the mailbox: our sender, our IP, authentication, security or policy.
    AboutUs,
    /// The server's own trouble: its load, storage, configuration, network or routing.
    ServerTrouble,
    /// The server takes no more recipients in this transaction (X.5.3).
    TooManyRecipients,
    /// A protocol matter: a command, its syntax or a parameter (also one we never send).
    Protocol,
    /// About a message's content, size or conversion; we send none, so nothing about the mailbox.
    Message,
    /// Nothing in particular ("other" or undefined status): the text or the basic code decides.
    Nothing,
}

impl Bearing {
    /// A specific bearing decides before the server's text; a vague one lets clearer words in
    /// the text decide first.
    pub fn is_specific(self) -> bool {
        !matches!(
            self,
            Bearing::ServerTrouble | Bearing::Protocol | Bearing::Message | Bearing::Nothing
        )
    }
}

/// One row of the enhanced-code registry: `X.subject.detail` for every class.
#[derive(Debug)]
pub struct EnhancedEntry {
    /// The subject sub-code (the middle number).
    pub subject: u16,
    /// The detail sub-code (the last number).
    pub detail: u16,
    /// The registry's title for the code.
    pub title: &'static str,
    /// What it means, in plain words, for someone verifying an address.
    pub meaning: &'static str,
    /// The document that registered it.
    pub source: &'static str,
    /// What it tells about the mailbox.
    pub bearing: Bearing,
}

/// Shorthand for an [`EnhancedEntry`] row.
const fn row(
    (subject, detail): (u16, u16),
    title: &'static str,
    meaning: &'static str,
    source: &'static str,
    bearing: Bearing,
) -> EnhancedEntry {
    EnhancedEntry {
        subject,
        detail,
        title,
        meaning,
        source,
        bearing,
    }
}

use Bearing::*;

/// Every entry of the IANA "SMTP Enhanced Status Codes" registry, in its order.
#[rustfmt::skip] // one registry row per line
pub const ENHANCED: &[EnhancedEntry] = &[
    row((0, 0), "Other undefined Status", "no further detail given", "RFC 3463", Nothing),
    // X.1: addressing.
    row((1, 0), "Other address status", "something about an address, no more said", "RFC 3463", Nothing),
    row((1, 1), "Bad destination mailbox address", "the mailbox does not exist", "RFC 3463", NoSuchMailbox),
    row((1, 2), "Bad destination system address", "the domain or host in the address takes no mail", "RFC 3463", NoMailService),
    row((1, 3), "Bad destination mailbox address syntax", "the server finds the address malformed", "RFC 3463", BadSyntax),
    row((1, 4), "Destination mailbox address ambiguous", "the address matches more than one mailbox", "RFC 3463", Nothing),
    row((1, 5), "Destination address valid", "the address is valid", "RFC 3463", Valid),
    row((1, 6), "Destination mailbox has moved, No forwarding address", "the mailbox moved and left no forwarding address", "RFC 3463", NoSuchMailbox),
    row((1, 7), "Bad sender's mailbox address syntax", "our sender address (MAIL FROM) is malformed to this server", "RFC 3463", AboutUs),
    row((1, 8), "Bad sender's system address", "our sender's domain is refused (it does not resolve or takes no mail)", "RFC 3463", AboutUs),
    row((1, 9), "Message relayed to non-compliant mailer", "a relay went on without delivery reports; says nothing about the mailbox", "RFC 3886", Nothing),
    row((1, 10), "Recipient address has null MX", "the recipient's domain publishes a null MX: it takes no mail", "RFC 7505", NoMailService),
    // X.2: mailbox.
    row((2, 0), "Other or undefined mailbox status", "something about the mailbox, no more said", "RFC 3463", Nothing),
    row((2, 1), "Mailbox disabled, not accepting messages", "the mailbox exists but takes no mail", "RFC 3463", Disabled),
    row((2, 2), "Mailbox full", "the mailbox is over its quota", "RFC 3463", Full),
    row((2, 3), "Message length exceeds administrative limit", "a message is too long for the mailbox", "RFC 3463", Message),
    row((2, 4), "Mailing list expansion problem", "the address is a mailing list that could not be expanded", "RFC 3463", Message),
    // X.3: the mail system.
    row((3, 0), "Other or undefined mail system status", "the receiving mail system has a problem, no more said", "RFC 3463", ServerTrouble),
    row((3, 1), "Mail system full", "the receiving system is out of storage", "RFC 3463", ServerTrouble),
    row((3, 2), "System not accepting network messages", "the server takes no mail just now (load, shutdown, maintenance)", "RFC 3463", ServerTrouble),
    row((3, 3), "System not capable of selected features", "the server lacks a feature asked for", "RFC 3463", Protocol),
    row((3, 4), "Message too big for system", "a message is too big for the server", "RFC 3463", Message),
    row((3, 5), "System incorrectly configured", "the receiving system is misconfigured", "RFC 3463", ServerTrouble),
    row((3, 6), "Requested priority was changed", "a message priority was changed (MT-PRIORITY)", "RFC 6710", Message),
    // X.4: network and routing.
    row((4, 0), "Other or undefined network or routing status", "a network or routing problem, no more said", "RFC 3463", ServerTrouble),
    row((4, 1), "No answer from host", "a host on the way did not answer", "RFC 3463", ServerTrouble),
    row((4, 2), "Bad connection", "a connection on the way broke", "RFC 3463", ServerTrouble),
    row((4, 3), "Directory server failure", "the server could not reach its directory (e.g. DNS or LDAP)", "RFC 3463", ServerTrouble),
    row((4, 4), "Unable to route", "the server cannot find where the domain's mail goes", "RFC 3463", ServerTrouble),
    row((4, 5), "Mail system congestion", "the mail system is congested", "RFC 3463", ServerTrouble),
    row((4, 6), "Routing loop detected", "mail for the address loops between servers", "RFC 3463", ServerTrouble),
    row((4, 7), "Delivery time expired", "delivery took too long and was given up", "RFC 3463", ServerTrouble),
    // X.5: the protocol.
    row((5, 0), "Other or undefined protocol status", "a protocol problem, no more said", "RFC 3463", Protocol),
    row((5, 1), "Invalid command", "the server does not know or allow the command", "RFC 3463", Protocol),
    row((5, 2), "Syntax error", "the server could not parse the command", "RFC 3463", Protocol),
    row((5, 3), "Too many recipients", "the server takes no more recipients in this transaction", "RFC 3463", TooManyRecipients),
    row((5, 4), "Invalid command arguments", "a command's arguments are not valid to the server", "RFC 3463", Protocol),
    row((5, 5), "Wrong protocol version", "the server speaks another protocol version", "RFC 3463", Protocol),
    row((5, 6), "Authentication Exchange line is too long", "an AUTH exchange line was too long", "RFC 4954", Protocol),
    // X.6: content and media.
    row((6, 0), "Other or undefined media error", "a problem with a message's content, no more said", "RFC 3463", Message),
    row((6, 1), "Media not supported", "a message's media type is not supported", "RFC 3463", Message),
    row((6, 2), "Conversion required and prohibited", "a message needs a conversion it forbids", "RFC 3463", Message),
    row((6, 3), "Conversion required but not supported", "a message needs a conversion the server cannot do", "RFC 3463", Message),
    row((6, 4), "Conversion with loss performed", "a message was converted with loss", "RFC 3463", Message),
    row((6, 5), "Conversion Failed", "a message's conversion failed", "RFC 3463", Message),
    row((6, 6), "Message content not available", "referenced message content could not be fetched (BURL)", "RFC 4468", Message),
    row((6, 7), "Non-ASCII addresses not permitted for that sender/recipient", "the server takes no non-ASCII address here (no SMTPUTF8)", "RFC 6531", Protocol),
    row((6, 8), "UTF-8 string reply is required, but not permitted by the SMTP client", "the server would answer in UTF-8 but we did not ask for SMTPUTF8", "RFC 6531", Protocol),
    row((6, 9), "UTF-8 header message cannot be transferred to one or more recipients", "a UTF-8 message cannot reach this recipient", "RFC 6531", Message),
    row((6, 10), "UTF-8 string reply is required, but not permitted by the SMTP client", "a deprecated duplicate of X.6.8", "RFC 6531", Protocol),
    // X.7: security and policy.
    row((7, 0), "Other or undefined security status", "refused for security or policy, no more said", "RFC 3463", AboutUs),
    row((7, 1), "Delivery not authorized, message refused", "we are not allowed to send here (policy, reputation, relaying)", "RFC 3463", AboutUs),
    row((7, 2), "Mailing list expansion prohibited", "we may not send to this mailing list", "RFC 3463", AboutUs),
    row((7, 3), "Security conversion required but not possible", "a security conversion is needed but impossible", "RFC 3463", AboutUs),
    row((7, 4), "Security features not supported", "the security features asked for are not supported", "RFC 3463", AboutUs),
    row((7, 5), "Cryptographic failure", "a cryptographic check failed", "RFC 3463", AboutUs),
    row((7, 6), "Cryptographic algorithm not supported", "a cryptographic algorithm is not supported", "RFC 3463", AboutUs),
    row((7, 7), "Message integrity failure", "a message failed an integrity check", "RFC 3463", AboutUs),
    row((7, 8), "Authentication credentials invalid", "authentication failed", "RFC 4954", AboutUs),
    row((7, 9), "Authentication mechanism is too weak", "the authentication mechanism is too weak", "RFC 4954", AboutUs),
    row((7, 10), "Encryption Needed", "the server wants an encrypted session", "RFC 5248", AboutUs),
    row((7, 11), "Encryption required for requested authentication mechanism", "authentication needs an encrypted session", "RFC 4954", AboutUs),
    row((7, 12), "A password transition is needed", "the account must change its password", "RFC 4954", AboutUs),
    row((7, 13), "User Account Disabled", "the authenticated account is disabled", "RFC 5248", AboutUs),
    row((7, 14), "Trust relationship required", "the server only takes mail from hosts it trusts", "RFC 5248", AboutUs),
    row((7, 15), "Priority Level is too low", "a message's priority is too low", "RFC 6710", AboutUs),
    row((7, 16), "Message is too big for the specified priority", "a message is too big for its priority", "RFC 6710", AboutUs),
    row((7, 17), "Mailbox owner has changed", "the mailbox changed hands since a given time (RRVS, which we never send)", "RFC 7293", Protocol),
    row((7, 18), "Domain owner has changed", "the domain changed hands since a given time (RRVS, which we never send)", "RFC 7293", Protocol),
    row((7, 19), "RRVS test cannot be completed", "an RRVS check could not be made (we never send RRVS)", "RFC 7293", Protocol),
    row((7, 20), "No passing DKIM signature found", "a message had no passing DKIM signature", "RFC 7372", AboutUs),
    row((7, 21), "No acceptable DKIM signature found", "a message had no acceptable DKIM signature", "RFC 7372", AboutUs),
    row((7, 22), "No valid author-matched DKIM signature found", "a message had no DKIM signature of its author's domain", "RFC 7372", AboutUs),
    row((7, 23), "SPF validation failed", "our IP is not allowed by our sender domain's SPF record", "RFC 7372", AboutUs),
    row((7, 24), "SPF validation error", "our sender domain's SPF record could not be checked", "RFC 7372", AboutUs),
    row((7, 25), "Reverse DNS validation failed", "our IP's reverse DNS does not check out", "RFC 7372", AboutUs),
    row((7, 26), "Multiple authentication checks failed", "we failed more than one authentication check", "RFC 7372", AboutUs),
    row((7, 27), "Sender address has null MX", "our sender's domain publishes a null MX", "RFC 7505", AboutUs),
    row((7, 28), "Mail flood detected", "the server sees a flood of similar mail from us", "draft-levine-mailbomb-header (IANA expert review)", AboutUs),
    row((7, 29), "ARC validation failure", "a message failed ARC validation", "RFC 8617", AboutUs),
    row((7, 30), "REQUIRETLS support required", "a message needs REQUIRETLS, which is not available", "RFC 8689", AboutUs),
];

/// What each subject sub-code covers, for a detail the registry does not hold (`5.7.606`).
const SUBJECTS: &[(u16, &str)] = &[
    (0, "no subject given"),
    (1, "about an address"),
    (2, "about the mailbox"),
    (3, "about the receiving mail system"),
    (4, "about the network or routing"),
    (5, "about the SMTP protocol"),
    (6, "about a message's content"),
    (7, "about security or policy"),
];

/// One basic reply code that a standard defines.
#[derive(Debug)]
pub struct BasicEntry {
    /// The three-digit code.
    pub code: u16,
    /// What it means, in plain words.
    pub meaning: &'static str,
    /// The document that defines it.
    pub source: &'static str,
}

/// Shorthand for a [`BasicEntry`] row.
const fn basic_row(code: u16, meaning: &'static str, source: &'static str) -> BasicEntry {
    BasicEntry {
        code,
        meaning,
        source,
    }
}

/// The basic reply codes of RFC 5321 §4.2.2-4.2.3, RFC 4954 (AUTH) and RFC 7504 (521, 556).
pub const BASIC: &[BasicEntry] = &[
    basic_row(211, "system status or help reply", "RFC 5321"),
    basic_row(214, "help message", "RFC 5321"),
    basic_row(220, "service ready", "RFC 5321"),
    basic_row(221, "service closing the connection", "RFC 5321"),
    basic_row(235, "authentication succeeded", "RFC 4954"),
    basic_row(250, "requested action done", "RFC 5321"),
    basic_row(251, "user not local; will forward", "RFC 5321"),
    basic_row(
        252,
        "cannot verify the user, but will accept mail and try",
        "RFC 5321",
    ),
    basic_row(334, "authentication challenge", "RFC 4954"),
    basic_row(354, "start mail input", "RFC 5321"),
    basic_row(
        421,
        "service not available, closing the connection",
        "RFC 5321",
    ),
    basic_row(432, "a password transition is needed", "RFC 4954"),
    basic_row(
        450,
        "mailbox unavailable for now (busy, or refused for now by policy)",
        "RFC 5321",
    ),
    basic_row(451, "aborted: local error in processing", "RFC 5321"),
    basic_row(
        452,
        "insufficient system storage (at RCPT: too many recipients)",
        "RFC 5321",
    ),
    basic_row(
        454,
        "temporary authentication failure (or TLS not available)",
        "RFC 4954",
    ),
    basic_row(
        455,
        "server unable to accommodate the parameters",
        "RFC 5321",
    ),
    basic_row(500, "syntax error, command unrecognised", "RFC 5321"),
    basic_row(501, "syntax error in parameters or arguments", "RFC 5321"),
    basic_row(502, "command not implemented", "RFC 5321"),
    basic_row(503, "bad sequence of commands", "RFC 5321"),
    basic_row(504, "command parameter not implemented", "RFC 5321"),
    basic_row(521, "the host does not accept mail", "RFC 7504"),
    basic_row(530, "authentication required", "RFC 4954"),
    basic_row(534, "authentication mechanism is too weak", "RFC 4954"),
    basic_row(535, "authentication credentials invalid", "RFC 4954"),
    basic_row(
        538,
        "encryption required for the authentication mechanism",
        "RFC 4954",
    ),
    basic_row(
        550,
        "mailbox unavailable (not found, no access, or refused by policy)",
        "RFC 5321",
    ),
    basic_row(551, "user not local; try another path", "RFC 5321"),
    basic_row(552, "exceeded storage allocation", "RFC 5321"),
    basic_row(
        553,
        "mailbox name not allowed (e.g. bad syntax)",
        "RFC 5321",
    ),
    basic_row(
        554,
        "transaction failed (or, at the greeting, no SMTP service here)",
        "RFC 5321",
    ),
    basic_row(
        555,
        "MAIL FROM/RCPT TO parameters not recognised or not implemented",
        "RFC 5321",
    ),
    basic_row(556, "the domain does not accept mail", "RFC 7504"),
];

/// The registry row of an enhanced code, when the registry holds its subject and detail.
pub fn enhanced(code: EnhancedCode) -> Option<&'static EnhancedEntry> {
    ENHANCED
        .iter()
        .find(|entry| entry.subject == code.subject && entry.detail == code.detail)
}

/// The table row of a basic code, when a standard defines it.
pub fn basic(code: u16) -> Option<&'static BasicEntry> {
    BASIC.iter().find(|entry| entry.code == code)
}

/// The code a client should read `code` as (RFC 5321 §4.2.1: a client that does not know a
/// code goes by its first digit): a defined code is itself; an unknown `5yz` is read as `550`
/// and an unknown `4yz` as `450`, the plain "not taken" replies, except that an unknown `50z`
/// (second digit 0: a syntax error) is read as `500`. Other first digits are returned as they
/// are.
pub fn standard_equivalent(code: u16) -> u16 {
    if basic(code).is_some() {
        return code;
    }
    match (code / 100, code / 10 % 10) {
        (5, 0) => 500,
        (first @ (4 | 5), _) => first * 100 + 50,
        _ => code,
    }
}

/// The bearing of a reply's enhanced code on the mailbox, when the registry holds the code.
pub fn bearing(reply: &Reply) -> Option<Bearing> {
    reply.enhanced.and_then(enhanced).map(|entry| entry.bearing)
}

/// What the reply's codes mean, in plain words: `5.1.3: the server finds the address
/// malformed`; for a detail the registry does not hold, what its subject covers; for a basic
/// code no standard defines (and no enhanced code), how it is read. `None` for a standard
/// basic code with no enhanced code, whose meaning the reply's own text gives.
pub fn explain(reply: &Reply) -> Option<String> {
    if let Some(code) = reply.enhanced {
        return Some(match enhanced(code) {
            Some(entry) => format!("{code}: {}", entry.meaning),
            None => {
                let subject = SUBJECTS
                    .iter()
                    .find(|(subject, _)| *subject == code.subject)
                    .map_or("a subject no standard defines", |(_, words)| words);
                format!("{code}: not in the registry; {subject}")
            }
        });
    }
    if basic(reply.code).is_none() && matches!(reply.class(), 4 | 5) {
        let read_as = standard_equivalent(reply.code);
        let how = basic(read_as).map_or("", |entry| entry.meaning);
        return Some(format!(
            "{}: not a standard code; read by its first digit as {read_as} ({how})",
            reply.code
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(class: u8, subject: u16, detail: u16) -> EnhancedCode {
        EnhancedCode {
            class,
            subject,
            detail,
        }
    }

    /// The registry's enumerated codes, written out independently of [`ENHANCED`], with the
    /// bearing each must have: the table holds exactly these, no more, no fewer.
    const EXPECTED: &[((u16, u16), Bearing)] = &[
        ((0, 0), Nothing),
        ((1, 0), Nothing),
        ((1, 1), NoSuchMailbox),
        ((1, 2), NoMailService),
        ((1, 3), BadSyntax),
        ((1, 4), Nothing),
        ((1, 5), Valid),
        ((1, 6), NoSuchMailbox),
        ((1, 7), AboutUs),
        ((1, 8), AboutUs),
        ((1, 9), Nothing),
        ((1, 10), NoMailService),
        ((2, 0), Nothing),
        ((2, 1), Disabled),
        ((2, 2), Full),
        ((2, 3), Message),
        ((2, 4), Message),
        ((3, 0), ServerTrouble),
        ((3, 1), ServerTrouble),
        ((3, 2), ServerTrouble),
        ((3, 3), Protocol),
        ((3, 4), Message),
        ((3, 5), ServerTrouble),
        ((3, 6), Message),
        ((4, 0), ServerTrouble),
        ((4, 1), ServerTrouble),
        ((4, 2), ServerTrouble),
        ((4, 3), ServerTrouble),
        ((4, 4), ServerTrouble),
        ((4, 5), ServerTrouble),
        ((4, 6), ServerTrouble),
        ((4, 7), ServerTrouble),
        ((5, 0), Protocol),
        ((5, 1), Protocol),
        ((5, 2), Protocol),
        ((5, 3), TooManyRecipients),
        ((5, 4), Protocol),
        ((5, 5), Protocol),
        ((5, 6), Protocol),
        ((6, 0), Message),
        ((6, 1), Message),
        ((6, 2), Message),
        ((6, 3), Message),
        ((6, 4), Message),
        ((6, 5), Message),
        ((6, 6), Message),
        ((6, 7), Protocol),
        ((6, 8), Protocol),
        ((6, 9), Message),
        ((6, 10), Protocol),
        ((7, 0), AboutUs),
        ((7, 1), AboutUs),
        ((7, 2), AboutUs),
        ((7, 3), AboutUs),
        ((7, 4), AboutUs),
        ((7, 5), AboutUs),
        ((7, 6), AboutUs),
        ((7, 7), AboutUs),
        ((7, 8), AboutUs),
        ((7, 9), AboutUs),
        ((7, 10), AboutUs),
        ((7, 11), AboutUs),
        ((7, 12), AboutUs),
        ((7, 13), AboutUs),
        ((7, 14), AboutUs),
        ((7, 15), AboutUs),
        ((7, 16), AboutUs),
        ((7, 17), Protocol),
        ((7, 18), Protocol),
        ((7, 19), Protocol),
        ((7, 20), AboutUs),
        ((7, 21), AboutUs),
        ((7, 22), AboutUs),
        ((7, 23), AboutUs),
        ((7, 24), AboutUs),
        ((7, 25), AboutUs),
        ((7, 26), AboutUs),
        ((7, 27), AboutUs),
        ((7, 28), AboutUs),
        ((7, 29), AboutUs),
        ((7, 30), AboutUs),
    ];

    #[test]
    fn the_table_holds_every_registered_code_once_with_its_bearing() {
        assert_eq!(ENHANCED.len(), EXPECTED.len(), "registry size");
        for (&((subject, detail), bearing), entry) in EXPECTED.iter().zip(ENHANCED) {
            assert_eq!(
                (entry.subject, entry.detail),
                (subject, detail),
                "registry order"
            );
            for class in [2, 4, 5] {
                let found = enhanced(code(class, subject, detail)).expect("registered");
                assert_eq!(found.bearing, bearing, "X.{subject}.{detail}");
            }
            assert!(!entry.title.is_empty() && !entry.meaning.is_empty());
            assert!(
                entry.source.starts_with("RFC ") || entry.source.starts_with("draft-"),
                "{}",
                entry.source
            );
        }
    }

    #[test]
    fn unregistered_details_are_not_in_the_table_but_are_explained_by_subject() {
        for (subject, detail) in [
            (1, 11),
            (2, 5),
            (3, 7),
            (4, 8),
            (5, 7),
            (6, 11),
            (7, 31),
            (8, 0),
        ] {
            assert!(
                enhanced(code(5, subject, detail)).is_none(),
                "{subject}.{detail}"
            );
        }
        let reply = Reply {
            code: 550,
            enhanced: Some(code(5, 7, 606)),
            lines: vec!["5.7.606 Access denied, banned sending IP".into()],
        };
        assert_eq!(
            explain(&reply).as_deref(),
            Some("5.7.606: not in the registry; about security or policy")
        );
    }

    #[test]
    fn basic_codes_not_in_the_standards_are_read_by_their_first_digit() {
        for entry in BASIC {
            assert_eq!(
                standard_equivalent(entry.code),
                entry.code,
                "{}",
                entry.code
            );
        }
        let cases = [
            (559, 550),
            (571, 550),
            (599, 550),
            (540, 550),
            (506, 500),
            (459, 450),
            (471, 450),
            (409, 450),
            (299, 299),
        ];
        for (code, read_as) in cases {
            assert_eq!(standard_equivalent(code), read_as, "{code}");
        }
    }

    #[test]
    fn explanations_quote_the_registry_or_say_how_a_code_is_read() {
        let reply = |code, enhanced, text: &str| Reply {
            code,
            enhanced,
            lines: vec![text.into()],
        };
        assert_eq!(
            explain(&reply(553, Some(code(5, 1, 3)), "5.1.3 <a@b>: rejected")).as_deref(),
            Some("5.1.3: the server finds the address malformed")
        );
        assert_eq!(
            explain(&reply(421, Some(code(4, 3, 2)), "4.3.2 busy")).as_deref(),
            Some("4.3.2: the server takes no mail just now (load, shutdown, maintenance)")
        );
        assert_eq!(
            explain(&reply(559, None, "what")).as_deref(),
            Some(
                "559: not a standard code; read by its first digit as 550 (mailbox unavailable (not found, no access, or refused by policy))"
            )
        );
        assert_eq!(explain(&reply(550, None, "no")), None);
        assert_eq!(explain(&reply(250, None, "ok")), None);
    }

    #[test]
    fn specific_bearings_decide_before_the_text() {
        let specific = [
            Valid,
            NoSuchMailbox,
            BadSyntax,
            NoMailService,
            Disabled,
            Full,
            AboutUs,
            TooManyRecipients,
        ];
        for bearing in specific {
            assert!(bearing.is_specific(), "{bearing:?}");
        }
        for bearing in [ServerTrouble, Protocol, Message, Nothing] {
            assert!(!bearing.is_specific(), "{bearing:?}");
        }
    }
}
