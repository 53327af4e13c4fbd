//! Disposable-domain, free-provider and role-account lookups over the data lists in `assets/`.
//!
//! The three lists are compiled into the binary with [`include_str!`] and parsed once, on first
//! use, into `HashSet<&'static str>` (blank lines and `#` comment lines are skipped, entries are
//! trimmed). Where each list comes from, its licence and how to refresh it is in
//! `assets/README.md`.
//!
//! - [`is_disposable`]: the domain, or any parent domain of it, is a throwaway-mailbox service
//!   (`sub.mailinator.com` counts because `mailinator.com` is listed).
//! - [`is_free_provider`]: the domain is exactly one of the free webmail domains.
//! - [`is_role_account`]: the local part names a function or a group (`admin`, `info`,
//!   `noreply`, ...) rather than a person; a `+tag` is ignored and `.`, `-`, `_` count as the
//!   same separator.
//!
//! Domains are expected in ASCII (A-label) form, as [`crate::address`] produces them; all
//! lookups are case-insensitive and accept a trailing root dot (`gmail.com.`).

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

const DISPOSABLE_DOMAINS: &str = include_str!("../../../assets/disposable_domains.txt");
const FREE_PROVIDERS: &str = include_str!("../../../assets/free_providers.txt");
const ROLE_LOCAL_PARTS: &str = include_str!("../../../assets/role_local_parts.txt");

static DISPOSABLE: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| parse_list(DISPOSABLE_DOMAINS));
static FREE: LazyLock<HashSet<&'static str>> = LazyLock::new(|| parse_list(FREE_PROVIDERS));
static ROLE: LazyLock<HashSet<&'static str>> = LazyLock::new(|| parse_list(ROLE_LOCAL_PARTS));

/// The role list with separators removed (`no-reply` and `noreply` both become `noreply`), so a
/// local part matches whatever separators it uses.
static ROLE_SQUASHED: LazyLock<HashSet<String>> =
    LazyLock::new(|| ROLE.iter().map(|entry| squash_separators(entry)).collect());

/// One entry per line; blank lines and `#` comment lines are skipped, entries are trimmed.
fn parse_list(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

/// Trims whitespace and one trailing root dot, and lowercases (ASCII) only when needed.
fn normalize_domain(domain: &str) -> Cow<'_, str> {
    let domain = domain.trim();
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(domain.to_ascii_lowercase())
    } else {
        Cow::Borrowed(domain)
    }
}

/// Drops the separators `.`, `-` and `_`.
fn squash_separators(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '.' | '-' | '_'))
        .collect()
}

/// True when `ascii_domain` or any parent domain of it is a disposable-mail domain:
/// `mailinator.com` and `sub.mailinator.com` are, `notreallymailinator.example` is not.
/// Case-insensitive.
pub fn is_disposable(ascii_domain: &str) -> bool {
    let domain = normalize_domain(ascii_domain);
    let mut candidate: &str = &domain;
    while !candidate.is_empty() {
        if DISPOSABLE.contains(candidate) {
            return true;
        }
        match candidate.split_once('.') {
            Some((_, parent)) => candidate = parent,
            None => break,
        }
    }
    false
}

/// True when `ascii_domain` is exactly a free webmail provider domain (`gmail.com`, `web.de`,
/// ...). Subdomains do not match. Case-insensitive.
pub fn is_free_provider(ascii_domain: &str) -> bool {
    let domain = normalize_domain(ascii_domain);
    !domain.is_empty() && FREE.contains(domain.as_ref())
}

/// True when `local_part` is a role account (`admin`, `info`, `postmaster`, `noreply`, ...).
///
/// Case-insensitive; a `+tag` suffix is ignored (`info+news` matches `info`); `.`, `-` and `_`
/// are interchangeable and may be left out (`no.reply`, `no_reply`, `no-reply` and `noreply` all
/// match); a local part written as a quoted string (`"info"`) is looked at without its quotes.
pub fn is_role_account(local_part: &str) -> bool {
    let mut local = local_part.trim();
    if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        local = &local[1..local.len() - 1];
    }
    let base = local.split_once('+').map_or(local, |(base, _tag)| base);
    let squashed = squash_separators(&base.to_lowercase());
    !squashed.is_empty() && ROLE_SQUASHED.contains(&squashed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailinator_is_disposable_and_gmail_is_not() {
        assert!(is_disposable("mailinator.com"));
        assert!(!is_disposable("gmail.com"));
    }

    #[test]
    fn disposable_known_positives() {
        for domain in [
            "mailinator.com",
            "guerrillamail.com",
            "10minutemail.com",
            "yopmail.com",
            "sharklasers.com",
            "trashmail.com",
            "tempmail.de",
        ] {
            assert!(is_disposable(domain), "{domain} should be disposable");
        }
    }

    #[test]
    fn disposable_known_negatives() {
        for domain in [
            "gmail.com",
            "googlemail.com",
            "yahoo.com",
            "outlook.com",
            "hotmail.com",
            "icloud.com",
            "proton.me",
            "example.com",
            "com",
            "",
            ".",
        ] {
            assert!(
                !is_disposable(domain),
                "{domain:?} should not be disposable"
            );
        }
    }

    #[test]
    fn disposable_matches_parent_domains() {
        assert!(is_disposable("sub.mailinator.com"));
        assert!(is_disposable("a.b.c.mailinator.com"));
        assert!(is_disposable("inbox.guerrillamail.com"));
        // A suffix that is not a whole parent domain does not count.
        assert!(!is_disposable("xmailinator.com"));
        assert!(!is_disposable("fakemailinator.com"));
        // A listed name as a prefix does not count either.
        assert!(!is_disposable("mailinator.com.example.org"));
    }

    #[test]
    fn disposable_is_case_insensitive_and_accepts_root_dot() {
        assert!(is_disposable("MAILINATOR.COM"));
        assert!(is_disposable("Sub.MailInator.Com"));
        assert!(is_disposable("mailinator.com."));
        assert!(is_disposable(" mailinator.com "));
        assert!(!is_disposable("GMAIL.COM"));
    }

    #[test]
    fn free_provider_known_positives() {
        for domain in [
            "gmail.com",
            "googlemail.com",
            "yahoo.com",
            "yahoo.co.uk",
            "hotmail.com",
            "hotmail.fr",
            "outlook.com",
            "live.com",
            "aol.com",
            "gmx.de",
            "gmx.net",
            "web.de",
            "mail.ru",
            "yandex.ru",
            "yandex.com",
            "proton.me",
            "protonmail.com",
            "icloud.com",
            "qq.com",
            "163.com",
            "naver.com",
        ] {
            assert!(
                is_free_provider(domain),
                "{domain} should be a free provider"
            );
        }
    }

    #[test]
    fn free_provider_known_negatives() {
        for domain in [
            "example.com",
            "mailinator.com",
            "rust-lang.org",
            "",
            "com",
            // exact match only
            "mail.gmail.com",
            "gmail.com.example.org",
        ] {
            assert!(
                !is_free_provider(domain),
                "{domain:?} should not be a free provider"
            );
        }
    }

    #[test]
    fn free_provider_is_case_insensitive_and_accepts_root_dot() {
        assert!(is_free_provider("GMail.com"));
        assert!(is_free_provider("OUTLOOK.COM"));
        assert!(is_free_provider("gmail.com."));
    }

    #[test]
    fn role_known_positives() {
        for local in [
            "admin",
            "abuse",
            "postmaster",
            "hostmaster",
            "webmaster",
            "info",
            "sales",
            "support",
            "contact",
            "noreply",
            "no-reply",
            "billing",
            "help",
            "hr",
            "jobs",
            "marketing",
            "office",
            "security",
            "team",
            "mailer-daemon",
        ] {
            assert!(is_role_account(local), "{local} should be a role account");
        }
    }

    #[test]
    fn role_known_negatives() {
        for local in [
            "john.smith",
            "jane",
            "j.doe",
            "alice_1984",
            "adminx",
            "informal",
            // personal names deliberately kept out of the list
            "alexa",
            "dean",
            "",
            "+info",
            "\"\"",
        ] {
            assert!(
                !is_role_account(local),
                "{local:?} should not be a role account"
            );
        }
    }

    #[test]
    fn role_is_case_insensitive() {
        assert!(is_role_account("Admin"));
        assert!(is_role_account("POSTMASTER"));
        assert!(is_role_account("No-Reply"));
    }

    #[test]
    fn role_ignores_plus_tag() {
        assert!(is_role_account("info+x"));
        assert!(is_role_account("support+ticket-123"));
        assert!(is_role_account("Sales+Q3"));
        assert!(!is_role_account("john+info"));
    }

    #[test]
    fn role_matches_any_separator() {
        for local in [
            "noreply",
            "no-reply",
            "no.reply",
            "no_reply",
            "No.Reply+tag",
            "do-not-reply",
            "do_not_reply",
            "donotreply",
            "mailer_daemon",
            "customer-service",
            "customer.service",
        ] {
            assert!(is_role_account(local), "{local} should be a role account");
        }
    }

    #[test]
    fn role_accepts_quoted_local_part() {
        assert!(is_role_account("\"info\""));
        assert!(!is_role_account("\"john\""));
    }

    #[test]
    fn every_entry_is_lowercase_ascii_without_spaces() {
        for (name, set) in [
            ("disposable", &*DISPOSABLE),
            ("free", &*FREE),
            ("role", &*ROLE),
        ] {
            assert!(!set.is_empty(), "{name} list is empty");
            for entry in set.iter() {
                assert!(!entry.is_empty(), "{name}: empty entry");
                assert!(entry.is_ascii(), "{name}: non-ASCII entry {entry:?}");
                assert!(
                    !entry.bytes().any(|b| b.is_ascii_uppercase()),
                    "{name}: uppercase in {entry:?}"
                );
                assert!(
                    !entry
                        .bytes()
                        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control()),
                    "{name}: whitespace or control byte in {entry:?}"
                );
                assert!(!entry.contains('#'), "{name}: '#' in {entry:?}");
                assert!(!entry.contains('@'), "{name}: '@' in {entry:?}");
            }
        }
    }

    #[test]
    fn domain_entries_look_like_domains() {
        for (name, set) in [("disposable", &*DISPOSABLE), ("free", &*FREE)] {
            for entry in set.iter() {
                // No bare TLDs: parent-domain matching on one would flag a whole TLD.
                assert!(entry.contains('.'), "{name}: {entry:?} is not a domain");
                assert!(
                    !entry.starts_with('.') && !entry.ends_with('.') && !entry.contains(".."),
                    "{name}: empty label in {entry:?}"
                );
                assert!(
                    entry.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'.'
                        || b == b'-'),
                    "{name}: unexpected character in {entry:?}"
                );
            }
        }
    }

    #[test]
    fn lists_have_the_expected_size() {
        assert!(
            DISPOSABLE.len() > 1000,
            "disposable list has {}",
            DISPOSABLE.len()
        );
        assert!(FREE.len() > 100, "free provider list has {}", FREE.len());
        assert!(ROLE.len() > 100, "role list has {}", ROLE.len());
    }

    #[test]
    fn parse_list_skips_comments_and_blank_lines() {
        let set = parse_list("# header\n\n  a.example  \n#b.example\nc.example\n");
        assert_eq!(set, HashSet::from(["a.example", "c.example"]));
    }
}
