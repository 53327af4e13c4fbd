//! Parsing and normalising one email address (RFC 5321 `Mailbox`, RFC 5322 `addr-spec`,
//! RFC 6531 internationalised local parts).
//!
//! [`Address::parse`] accepts a dot-atom or quoted-string local part and a domain name, converts
//! the domain to its lowercase A-label form with UTS 46 (`idna`) and enforces the RFC length
//! limits. An [`Address`] that exists never holds a control character (C0, DEL, C1) or a Unicode
//! bidi/format control, so [`Address::smtp_path`] is always safe to write on an SMTP line.
//! Every [`AddressError`] names what is wrong and where; positions are 1-based character
//! positions in the input as given.

pub mod typo;

pub use typo::suggest_domain;

use std::fmt;
use std::str::FromStr;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

/// Longest local part, in octets (RFC 5321 4.5.3.1.1).
const MAX_LOCAL_OCTETS: usize = 64;
/// Longest domain label, in octets (RFC 1035).
const MAX_LABEL_OCTETS: usize = 63;
/// Longest domain, in octets, without the trailing dot.
const MAX_DOMAIN_OCTETS: usize = 253;
/// Longest `local@domain`: the 256-octet path limit minus the angle brackets (RFC 5321 4.5.3.1.3).
const MAX_PATH_OCTETS: usize = 254;

/// A syntactically valid, normalised email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    local: String,
    domain: String,
    domain_unicode: String,
    smtputf8: bool,
}

/// Why an input is not a usable email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing but spaces.
    #[error("the address is empty")]
    Empty,
    /// A C0/C1 control, DEL, or a Unicode bidi/format control, anywhere in the input.
    #[error("control character \"{}\" at position {position}", escape(*.ch))]
    ControlChar { ch: char, position: usize },
    /// No `@` outside the quoted local part.
    #[error("no \"@\" in the address")]
    MissingAt,
    /// More than one `@` outside quotes.
    #[error("more than one \"@\" outside quotes (at positions {first} and {last})")]
    ExtraAt { first: usize, last: usize },
    /// Nothing (or `""`) before the `@`.
    #[error("the local part (before the \"@\") is empty")]
    EmptyLocalPart,
    /// Nothing after the `@`.
    #[error("the domain (after the \"@\") is empty")]
    EmptyDomain,
    /// A local part longer than 64 octets.
    #[error("local part is {octets} octets; the limit is {MAX_LOCAL_OCTETS}")]
    LocalPartTooLong { octets: usize },
    /// A character that is not allowed in an unquoted local part.
    #[error("invalid character \"{}\" in the local part at position {position}", .ch.escape_debug())]
    InvalidLocalChar { ch: char, position: usize },
    /// The unquoted local part starts with a dot.
    #[error("the local part starts with a dot (position {position})")]
    LeadingDot { position: usize },
    /// The unquoted local part ends with a dot.
    #[error("the local part ends with a dot (position {position})")]
    TrailingDot { position: usize },
    /// Two dots in a row in the unquoted local part.
    #[error("two dots in a row in the local part at position {position}")]
    ConsecutiveDots { position: usize },
    /// A quoted local part whose opening quote is never closed.
    #[error("the quote at position {position} is never closed")]
    UnterminatedQuote { position: usize },
    /// Something other than `@` right after the closing quote of the local part.
    #[error(
        "unexpected \"{}\" at position {position} after the closing quote; expected \"@\"",
        .ch.escape_debug()
    )]
    AfterQuote { ch: char, position: usize },
    /// A backslash in a quoted local part escaping something other than printable ASCII.
    #[error(
        "backslash at position {position} escapes \"{}\"; only printable ASCII may be escaped",
        .ch.escape_debug()
    )]
    BadQuotedPair { ch: char, position: usize },
    /// `user@[192.0.2.1]` and other address literals.
    #[error("address literals are not supported (domain \"{domain}\"); use a domain name")]
    AddressLiteral { domain: String },
    /// An ASCII character that is not a letter, digit, hyphen or dot in the domain.
    #[error("invalid character \"{}\" in the domain at position {position}", .ch.escape_debug())]
    InvalidDomainChar { ch: char, position: usize },
    /// The domain fails UTS 46 / IDNA processing (disallowed code point, bad punycode, ...).
    #[error("domain \"{domain}\" is not a valid internationalised domain name (UTS 46)")]
    Idna { domain: String },
    /// An empty label: `a..b`, or a leading dot.
    #[error("empty label (two dots in a row, or a leading dot) in the domain \"{domain}\"")]
    EmptyLabel { domain: String },
    /// A label longer than 63 octets (in A-label form).
    #[error("domain label \"{label}\" is {octets} octets; the limit is {MAX_LABEL_OCTETS}")]
    LabelTooLong { label: String, octets: usize },
    /// A label starting with `-`.
    #[error("domain label \"{label}\" starts with a hyphen")]
    LabelStartsWithHyphen { label: String },
    /// A label ending with `-`.
    #[error("domain label \"{label}\" ends with a hyphen")]
    LabelEndsWithHyphen { label: String },
    /// A domain without a dot, such as `localhost`.
    #[error("domain \"{domain}\" has a single label; a top-level domain is required")]
    SingleLabel { domain: String },
    /// An all-digit top-level label, such as `example.123` or a bare IPv4 address.
    #[error("top-level domain \"{tld}\" is all digits")]
    NumericTld { tld: String },
    /// A domain longer than 253 octets (in A-label form).
    #[error("domain is {octets} octets; the limit is {MAX_DOMAIN_OCTETS}")]
    DomainTooLong { octets: usize },
    /// `local@domain` longer than 254 octets.
    #[error("address (local@domain) is {octets} octets; the limit is {MAX_PATH_OCTETS}")]
    PathTooLong { octets: usize },
}

impl Address {
    /// Parses and normalises `input`; leading and trailing ASCII spaces are ignored.
    pub fn parse(input: &str) -> Result<Address, AddressError> {
        let trimmed = input.trim_start_matches(' ');
        let lead = input.len() - trimmed.len();
        let chars: Vec<char> = trimmed.trim_end_matches(' ').chars().collect();
        if chars.is_empty() {
            return Err(AddressError::Empty);
        }
        if let Some((i, &ch)) = chars.iter().enumerate().find(|(_, c)| is_forbidden(**c)) {
            return Err(AddressError::ControlChar {
                ch,
                position: lead + i + 1,
            });
        }
        let at = find_separator(&chars, lead)?;
        let smtputf8 = check_local(&chars[..at], lead)?;
        let local: String = chars[..at].iter().collect();
        if local.len() > MAX_LOCAL_OCTETS {
            return Err(AddressError::LocalPartTooLong {
                octets: local.len(),
            });
        }
        let (domain, domain_unicode) = normalise_domain(&chars[at + 1..], lead + at + 1)?;
        let octets = local.len() + 1 + domain.len();
        if octets > MAX_PATH_OCTETS {
            return Err(AddressError::PathTooLong { octets });
        }
        Ok(Address {
            local,
            domain,
            domain_unicode,
            smtputf8,
        })
    }

    /// The local part as written; a quoted local part keeps its quotes and escapes.
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The domain in lowercase A-label (punycode) form, without a trailing dot.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The domain in U-label form, for display.
    pub fn domain_unicode(&self) -> &str {
        &self.domain_unicode
    }

    /// Whether the local part holds non-ASCII, so the server must offer SMTPUTF8 (RFC 6531).
    pub fn needs_smtputf8(&self) -> bool {
        self.smtputf8
    }

    /// `local@a-label-domain`, without angle brackets: what goes on the wire.
    pub fn smtp_path(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// The whole corrected address when the domain looks like a typo of a well-known mailbox
    /// provider: `bob@gmial.com` gives `Some("bob@gmail.com")`.
    pub fn suggestion(&self) -> Option<String> {
        suggest_domain(&self.domain).map(|domain| format!("{}@{domain}", self.local))
    }
}

impl fmt::Display for Address {
    /// `local@domain` with the domain in U-label form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain_unicode)
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse(s)
    }
}

/// C0 controls (TAB, CR, LF, NUL, ...), DEL, C1 controls, and the Unicode bidi/format controls
/// that can disguise text (zero-width, embeddings, overrides, isolates, BOM, line separators).
fn is_forbidden(c: char) -> bool {
    c.is_control() || crate::text::is_format_control(c)
}

/// A control character as a Rust-style escape: `\r`, `\n`, `\t`, `\0`, else `\u{..}`.
fn escape(c: char) -> String {
    match c {
        '\r' => "\\r".to_owned(),
        '\n' => "\\n".to_owned(),
        '\t' => "\\t".to_owned(),
        '\0' => "\\0".to_owned(),
        _ => format!("\\u{{{:x}}}", u32::from(c)),
    }
}

/// The index of the `@` that separates local part and domain. `base` is the number of input
/// characters before `chars`, for error positions.
fn find_separator(chars: &[char], base: usize) -> Result<usize, AddressError> {
    let local_end = if chars[0] == '"' {
        let close =
            closing_quote(chars).ok_or(AddressError::UnterminatedQuote { position: base + 1 })?;
        match chars.get(close + 1) {
            Some('@') => {}
            Some(&ch) => {
                return Err(AddressError::AfterQuote {
                    ch,
                    position: base + close + 2,
                });
            }
            None => return Err(AddressError::MissingAt),
        }
        close + 1
    } else {
        0
    };
    let ats: Vec<usize> = (local_end..chars.len())
        .filter(|&i| chars[i] == '@')
        .collect();
    match ats.as_slice() {
        [] => Err(AddressError::MissingAt),
        [at] => Ok(*at),
        [first, .., last] => Err(AddressError::ExtraAt {
            first: base + first + 1,
            last: base + last + 1,
        }),
    }
}

/// The index of the quote that closes the quoted string opening at `chars[0]`.
fn closing_quote(chars: &[char]) -> Option<usize> {
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Checks the local part; returns whether it holds non-ASCII (needs SMTPUTF8).
fn check_local(local: &[char], base: usize) -> Result<bool, AddressError> {
    match local {
        [] | ['"', '"'] => Err(AddressError::EmptyLocalPart),
        ['"', inner @ .., '"'] => check_quoted(inner, base + 1),
        _ => check_dot_atom(local, base),
    }
}

/// Checks the inside of a quoted string: qtext is printable ASCII or non-ASCII (controls are
/// already gone), a quoted-pair is a backslash and printable ASCII.
fn check_quoted(inner: &[char], base: usize) -> Result<bool, AddressError> {
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == '\\' {
            let ch = *inner
                .get(i + 1)
                .ok_or(AddressError::UnterminatedQuote { position: base })?;
            if !(' '..='~').contains(&ch) {
                return Err(AddressError::BadQuotedPair {
                    ch,
                    position: base + i + 1,
                });
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    Ok(!inner.iter().all(char::is_ascii))
}

/// Checks a dot-atom: atext runs separated by single dots; non-ASCII counts as atext.
fn check_dot_atom(local: &[char], base: usize) -> Result<bool, AddressError> {
    for (i, &ch) in local.iter().enumerate() {
        let position = base + i + 1;
        if ch == '.' {
            if i == 0 {
                return Err(AddressError::LeadingDot { position });
            }
            if i == local.len() - 1 {
                return Err(AddressError::TrailingDot { position });
            }
            if local[i - 1] == '.' {
                return Err(AddressError::ConsecutiveDots { position });
            }
        } else if ch.is_ascii() && !is_atext(ch) {
            return Err(AddressError::InvalidLocalChar { ch, position });
        }
    }
    Ok(!local.iter().all(char::is_ascii))
}

/// RFC 5322 `atext` (ASCII part).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// Converts the domain to lowercase A-label form and checks it; returns (A-label, U-label) forms.
fn normalise_domain(chars: &[char], base: usize) -> Result<(String, String), AddressError> {
    let raw: String = chars.iter().collect();
    match chars.first() {
        None => return Err(AddressError::EmptyDomain),
        Some('[') => return Err(AddressError::AddressLiteral { domain: raw }),
        Some(_) => {}
    }
    if let Some((i, &ch)) = chars
        .iter()
        .enumerate()
        .find(|(_, c)| c.is_ascii() && !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.')))
    {
        return Err(AddressError::InvalidDomainChar {
            ch,
            position: base + i + 1,
        });
    }
    let idna_error = || AddressError::Idna {
        domain: raw.clone(),
    };
    let ascii = Uts46::new()
        .to_ascii(
            raw.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map_err(|_| idna_error())?
        .to_ascii_lowercase();
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_owned();
    if ascii.is_empty() {
        return Err(AddressError::EmptyDomain);
    }
    if !ascii
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(idna_error());
    }
    check_labels(&ascii)?;
    if ascii.len() > MAX_DOMAIN_OCTETS {
        return Err(AddressError::DomainTooLong {
            octets: ascii.len(),
        });
    }
    let (unicode, result) = idna::domain_to_unicode(&ascii);
    let unicode = if result.is_ok() && !unicode.chars().any(is_forbidden) {
        unicode
    } else {
        ascii.clone()
    };
    Ok((ascii, unicode))
}

/// Checks the labels of a lowercase A-label domain: non-empty, at most 63 octets, no hyphen at
/// either end, at least two labels, and a top-level label that is not all digits.
fn check_labels(domain: &str) -> Result<(), AddressError> {
    let labels: Vec<&str> = domain.split('.').collect();
    for &label in &labels {
        if label.is_empty() {
            return Err(AddressError::EmptyLabel {
                domain: domain.to_owned(),
            });
        }
        if label.len() > MAX_LABEL_OCTETS {
            return Err(AddressError::LabelTooLong {
                label: label.to_owned(),
                octets: label.len(),
            });
        }
        if label.starts_with('-') {
            return Err(AddressError::LabelStartsWithHyphen {
                label: label.to_owned(),
            });
        }
        if label.ends_with('-') {
            return Err(AddressError::LabelEndsWithHyphen {
                label: label.to_owned(),
            });
        }
    }
    match labels.as_slice() {
        [_] => Err(AddressError::SingleLabel {
            domain: domain.to_owned(),
        }),
        [.., tld] if tld.bytes().all(|b| b.is_ascii_digit()) => Err(AddressError::NumericTld {
            tld: (*tld).to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::AddressError::*;
    use super::*;
    use proptest::prelude::*;

    /// Parses `input`, checks every accessor against `path` (`local@a-label-domain`) and returns
    /// the address for further checks. SMTPUTF8 is needed exactly when the path is not ASCII.
    fn accepts(input: &str, path: &str) -> Address {
        let address = Address::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(address.smtp_path(), path, "{input:?}");
        assert_eq!(
            format!("{}@{}", address.local_part(), address.domain()),
            path
        );
        assert_eq!(address.needs_smtputf8(), !path.is_ascii(), "{input:?}");
        assert_eq!(input.parse::<Address>().as_ref(), Ok(&address));
        address
    }

    /// Checks that `input` fails with exactly `expected`, whose message contains `phrase`.
    fn rejects(input: &str, expected: AddressError, phrase: &str) {
        let error = Address::parse(input).expect_err(input);
        assert_eq!(error, expected, "{input:?}");
        let shown = error.to_string();
        assert!(
            shown.contains(phrase),
            "{input:?}: {shown:?} lacks {phrase:?}"
        );
    }

    #[test]
    fn valid_addresses_parse_and_normalise() {
        accepts("user@example.com", "user@example.com");
        accepts("  user@example.com  ", "user@example.com");
        accepts("bob+tag@example.com", "bob+tag@example.com");
        accepts(
            "first.last@sub.example.co.uk",
            "first.last@sub.example.co.uk",
        );
        accepts(
            "!#$%&'*+-/=?^_`{|}~@example.com",
            "!#$%&'*+-/=?^_`{|}~@example.com",
        );
        accepts(r#""john doe"@example.com"#, r#""john doe"@example.com"#);
        accepts(r#""a\"b"@example.com"#, r#""a\"b"@example.com"#);
        accepts(r#""a@b"@example.com"#, r#""a@b"@example.com"#);
        accepts("User@EXAMPLE.COM", "User@example.com");
        accepts("a@example.com.", "a@example.com");
        accepts(
            "a@r3---sn-abc.googlevideo.com",
            "a@r3---sn-abc.googlevideo.com",
        );
        accepts("josé@example.com", "josé@example.com");
        accepts(r#""josé q"@example.com"#, r#""josé q"@example.com"#);
    }

    #[test]
    fn idn_domains_have_an_a_label_and_a_u_label_form() {
        let address = accepts("info@Bücher.example", "info@xn--bcher-kva.example");
        assert_eq!(address.domain_unicode(), "bücher.example");
        assert_eq!(address.to_string(), "info@bücher.example");
        let address = accepts("info@XN--BCHER-KVA.example", "info@xn--bcher-kva.example");
        assert_eq!(address.domain_unicode(), "bücher.example");
    }

    #[test]
    fn limits_are_inclusive() {
        let label = "b".repeat(63);
        accepts(
            &format!("{}@example.com", "a".repeat(64)),
            &format!("{}@example.com", "a".repeat(64)),
        );
        accepts(&format!("x@{label}.com"), &format!("x@{label}.com"));
        // 63 + 1 + 63 + 1 + 63 + 1 + 60 = 252 octets: "x@" + 252 is the longest path, 254.
        let domain = format!("{label}.{label}.{label}.{}", "c".repeat(60));
        accepts(&format!("x@{domain}"), &format!("x@{domain}"));
        // A 253-octet domain is within its own limit, but any local part makes the path too long.
        rejects(
            &format!("x@{domain}c"),
            PathTooLong { octets: 255 },
            "255 octets",
        );
    }

    #[test]
    fn control_characters_are_rejected_everywhere() {
        let controls = [
            ('\r', r"\r"),
            ('\n', r"\n"),
            ('\t', r"\t"),
            ('\0', r"\0"),
            ('\u{1b}', r"\u{1b}"),
            ('\u{7f}', r"\u{7f}"),
            ('\u{85}', r"\u{85}"),
            ('\u{9f}', r"\u{9f}"),
            ('\u{200b}', r"\u{200b}"),
            ('\u{200f}', r"\u{200f}"),
            ('\u{202a}', r"\u{202a}"),
            ('\u{202e}', r"\u{202e}"),
            ('\u{2066}', r"\u{2066}"),
            ('\u{2069}', r"\u{2069}"),
            ('\u{feff}', r"\u{feff}"),
            ('\u{ad}', r"\u{ad}"),
            ('\u{2060}', r"\u{2060}"),
            ('\u{180e}', r"\u{180e}"),
            ('\u{fff9}', r"\u{fff9}"),
            ('\u{e0041}', r"\u{e0041}"),
        ];
        for (ch, escaped) in controls {
            let at = |position| format!("control character \"{escaped}\" at position {position}");
            rejects(
                &format!("a{ch}@x.com"),
                ControlChar { ch, position: 2 },
                &at(2),
            );
            rejects(
                &format!("\"{ch}\"@x.com"),
                ControlChar { ch, position: 2 },
                &at(2),
            );
            rejects(
                &format!("\"\\{ch}\"@x.com"),
                ControlChar { ch, position: 3 },
                &at(3),
            );
            rejects(
                &format!("a@x{ch}.com"),
                ControlChar { ch, position: 4 },
                &at(4),
            );
        }
    }

    #[test]
    fn smtp_command_injection_is_rejected() {
        let cr = |position| ControlChar { ch: '\r', position };
        rejects("\r\nRCPT TO:<x@y>", cr(1), r#""\r" at position 1"#);
        rejects("a@x.com\r\nRCPT TO:<x@y>", cr(8), r#""\r" at position 8"#);
        rejects(
            "\"a\r\nRCPT TO:<x@y>\"@x.com",
            cr(3),
            r#""\r" at position 3"#,
        );
        // Positions count the leading spaces that are trimmed.
        rejects("  \ra@x.com", cr(3), "at position 3");
    }

    #[test]
    fn structural_errors_are_named() {
        rejects("", Empty, "empty");
        rejects("   ", Empty, "empty");
        rejects("userexample.com", MissingAt, r#"no "@" in the address"#);
        rejects(r#""user""#, MissingAt, r#"no "@""#);
        rejects(
            "a@b@example.com",
            ExtraAt { first: 2, last: 4 },
            "positions 2 and 4",
        );
        rejects(
            r#""a"@b@example.com"#,
            ExtraAt { first: 4, last: 6 },
            r#"more than one "@""#,
        );
        rejects("@example.com", EmptyLocalPart, "local part");
        rejects(r#"""@example.com"#, EmptyLocalPart, "local part");
        rejects("a@", EmptyDomain, "domain");
        rejects("a@.", EmptyDomain, "domain");
    }

    #[test]
    fn local_part_errors_are_named() {
        rejects(".a@x.com", LeadingDot { position: 1 }, "starts with a dot");
        rejects("a.@x.com", TrailingDot { position: 2 }, "ends with a dot");
        rejects(
            "a..b@x.com",
            ConsecutiveDots { position: 3 },
            "two dots in a row",
        );
        let space = InvalidLocalChar {
            ch: ' ',
            position: 2,
        };
        rejects(
            "a b@x.com",
            space,
            r#"invalid character " " in the local part at position 2"#,
        );
        rejects(
            "a\"b@x.com",
            InvalidLocalChar {
                ch: '"',
                position: 2,
            },
            "invalid character",
        );
        rejects(
            "\"abc@x.com",
            UnterminatedQuote { position: 1 },
            "never closed",
        );
        rejects(
            "\"a\"b@x.com",
            AfterQuote {
                ch: 'b',
                position: 4,
            },
            "after the closing quote",
        );
        rejects(
            r#""a\é"@x.com"#,
            BadQuotedPair {
                ch: 'é',
                position: 3,
            },
            "backslash at position 3",
        );
        let long = format!("{}@x.com", "a".repeat(65));
        rejects(
            &long,
            LocalPartTooLong { octets: 65 },
            "local part is 65 octets; the limit is 64",
        );
        // The limit counts UTF-8 octets, not characters.
        let wide = format!("{}@x.com", "é".repeat(33));
        rejects(&wide, LocalPartTooLong { octets: 66 }, "66 octets");
    }

    #[test]
    fn domain_errors_are_named() {
        let literal = |domain: &str| AddressLiteral {
            domain: domain.into(),
        };
        let unsupported = "address literals are not supported";
        rejects("a@[192.0.2.1]", literal("[192.0.2.1]"), unsupported);
        rejects(
            "a@[IPv6:2001:db8::1]",
            literal("[IPv6:2001:db8::1]"),
            unsupported,
        );
        let hyphen = LabelStartsWithHyphen {
            label: "-ab".into(),
        };
        rejects(
            "a@-ab.com",
            hyphen,
            r#"domain label "-ab" starts with a hyphen"#,
        );
        let hyphen = LabelEndsWithHyphen {
            label: "ab-".into(),
        };
        rejects(
            "a@ab-.com",
            hyphen,
            r#"domain label "ab-" ends with a hyphen"#,
        );
        rejects(
            "a@localhost",
            SingleLabel {
                domain: "localhost".into(),
            },
            "single label",
        );
        rejects(
            "a@example.123",
            NumericTld { tld: "123".into() },
            r#""123" is all digits"#,
        );
        rejects("a@192.0.2.1", NumericTld { tld: "1".into() }, "all digits");
        let empty = |domain: &str| EmptyLabel {
            domain: domain.into(),
        };
        rejects(
            "a@x..com",
            empty("x..com"),
            "empty label (two dots in a row",
        );
        rejects("a@.x.com", empty(".x.com"), "empty label");
        let underscore = InvalidDomainChar {
            ch: '_',
            position: 5,
        };
        rejects(
            "a@ex_ample.com",
            underscore,
            r#"invalid character "_" in the domain at position 5"#,
        );
        let bad_punycode = Idna {
            domain: "xn--zz.com".into(),
        };
        rejects(
            "a@xn--zz.com",
            bad_punycode,
            "not a valid internationalised domain name",
        );
    }

    #[test]
    fn domain_and_path_lengths_are_limited() {
        let label = "b".repeat(63);
        let long_label = LabelTooLong {
            label: "b".repeat(64),
            octets: 64,
        };
        rejects(
            &format!("x@b{label}.com"),
            long_label,
            "is 64 octets; the limit is 63",
        );
        // 63 + 1 + 63 + 1 + 63 + 1 + 62 = 254 octets.
        let domain = format!("{label}.{label}.{label}.{}", "c".repeat(62));
        let too_long = DomainTooLong { octets: 254 };
        rejects(
            &format!("x@{domain}"),
            too_long,
            "domain is 254 octets; the limit is 253",
        );
        // 64 + 1 + 191 = 256 octets.
        let path = format!("{}@{label}.{label}.{label}", "a".repeat(64));
        rejects(
            &path,
            PathTooLong { octets: 256 },
            "256 octets; the limit is 254",
        );
    }

    #[test]
    fn suggestion_is_the_whole_corrected_address() {
        let typo = Address::parse("bob@gmial.com").unwrap();
        assert_eq!(typo.suggestion().as_deref(), Some("bob@gmail.com"));
        assert_eq!(Address::parse("bob@gmail.com").unwrap().suggestion(), None);
        assert_eq!(
            Address::parse("bob@example.com").unwrap().suggestion(),
            None
        );
    }

    /// Strings near the attack surface: quotes, escapes, "@", dots and control characters.
    fn hostile_input() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            r#"[a-z"\\@. \r\n\t\x00\x1b\x7f\x{85}\x{200b}\x{202e}\x{feff}é]{0,24}"#,
            r#""[a-z\\\r\n\x00 ]{0,8}"@[a-z]{1,6}\.[a-z\r\n]{2,5}"#,
            r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)(\r\nRCPT TO:<[a-z]+@[a-z]+>)?",
        ]
    }

    /// Valid ASCII addresses: dot-atom or quoted local part, mixed-case domain, optional root dot.
    fn ascii_address() -> impl Strategy<Value = String> {
        let local = prop_oneof![
            r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,16}(\.[a-zA-Z0-9_-]{1,8}){0,2}",
            r#""([a-zA-Z0-9 @.,()]|\\["\\]){1,12}""#,
        ];
        // No "--" in a label, so no accidental (and invalid) "xn--" A-label.
        let domain = r"([a-zA-Z0-9]{1,4}(-[a-zA-Z0-9]{1,4})?\.){1,3}[a-zA-Z]{2,6}\.?";
        (local, domain).prop_map(|(local, domain)| format!("{local}@{domain}"))
    }

    proptest! {
        #[test]
        fn a_parsed_address_never_holds_a_control_character(input in hostile_input()) {
            if let Ok(address) = Address::parse(&input) {
                let path = address.smtp_path();
                prop_assert!(!path.bytes().any(|b| b < 0x20 || b == 0x7f), "{path:?}");
                prop_assert!(!path.contains('\r') && !path.contains('\n'));
                let shown = address.to_string();
                prop_assert!(!path.chars().chain(shown.chars()).any(is_forbidden), "{shown:?}");
            }
        }

        #[test]
        fn ascii_addresses_round_trip_through_display(input in ascii_address()) {
            let address = Address::parse(&input);
            prop_assert!(address.is_ok(), "{input:?}: {address:?}");
            let address = address.unwrap();
            prop_assert_eq!(Address::parse(&address.to_string()), Ok(address));
        }
    }
}
