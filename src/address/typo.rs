//! Typo hints for the domains of well-known mailbox providers (`gmial.com` -> `gmail.com`).
//!
//! Two regimes, so that real regional domains are never "corrected":
//! - the name before the first dot is exactly a provider's name (`gmail.con`, `yahoo.ca`): only
//!   the suffix may be a typo, and it must be one edit away from the provider's suffix or a
//!   truncation of it (`gmail.co`); `yahoo.ca` or `gmx.at` get no hint;
//! - otherwise the whole domain must be within Damerau-Levenshtein (optimal string alignment,
//!   `strsim::osa_distance`) distance 1 of a provider, or 2 when the domain is at least 8
//!   characters long.
//!
//! In both regimes exactly one provider must be closest; a tie gives no hint.

/// Well-known mailbox providers. A domain in this list is never corrected.
const PROVIDERS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "ymail.com",
    "hotmail.com",
    "hotmail.co.uk",
    "outlook.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "yandex.ru",
    "mail.ru",
    "comcast.net",
    "verizon.net",
    "att.net",
    "zoho.com",
    "fastmail.com",
    "t-online.de",
];

/// Suggests the well-known provider domain that `ascii_domain` (A-label form) is most likely a
/// typo of, or `None` when it is a provider itself, is not close to one, or is equally close to
/// several.
pub fn suggest_domain(ascii_domain: &str) -> Option<&'static str> {
    let domain = ascii_domain.trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() || PROVIDERS.contains(&domain.as_str()) {
        return None;
    }
    let (name, suffix) = split_name(&domain);
    if PROVIDERS.iter().any(|p| split_name(p).0 == name) {
        wrong_suffix(name, suffix)
    } else {
        nearest(&domain)
    }
}

/// Splits `gmail.co.uk` into `("gmail", "co.uk")`.
fn split_name(domain: &str) -> (&str, &str) {
    domain.split_once('.').unwrap_or((domain, ""))
}

/// The provider with exactly this name whose suffix is one edit away from `suffix`, or of which
/// `suffix` is a truncation.
fn wrong_suffix(name: &str, suffix: &str) -> Option<&'static str> {
    unique_closest(PROVIDERS.iter().filter_map(|&provider| {
        let (p_name, p_suffix) = split_name(provider);
        let distance = strsim::osa_distance(suffix, p_suffix);
        let truncated = !suffix.is_empty() && p_suffix.starts_with(suffix);
        (p_name == name && (distance <= 1 || truncated)).then_some((provider, distance))
    }))
}

/// The provider within the edit-distance limit for a domain of this length.
fn nearest(domain: &str) -> Option<&'static str> {
    let limit = if domain.chars().count() >= 8 { 2 } else { 1 };
    unique_closest(
        PROVIDERS
            .iter()
            .map(|&provider| (provider, strsim::osa_distance(domain, provider)))
            .filter(|&(_, distance)| distance <= limit),
    )
}

/// The candidate with the smallest distance, if no other candidate shares that distance.
fn unique_closest(candidates: impl Iterator<Item = (&'static str, usize)>) -> Option<&'static str> {
    let mut best: Option<(&'static str, usize)> = None;
    let mut tied = false;
    for (provider, distance) in candidates {
        match best {
            Some((_, d)) if distance > d => {}
            Some((_, d)) if distance == d => tied = true,
            _ => {
                best = Some((provider, distance));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(provider, _)| provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_provider_for_typos() {
        let cases = [
            ("gmial.com", "gmail.com"),
            ("gmai.com", "gmail.com"),
            ("gmail.con", "gmail.com"),
            ("gmail.co", "gmail.com"),
            ("gmail.c", "gmail.com"),
            ("GMAIL.CON", "gmail.com"),
            ("hotmial.com", "hotmail.com"),
            ("hotmail.cm", "hotmail.com"),
            ("hotmail.co.u", "hotmail.co.uk"),
            ("yaho.com", "yahoo.com"),
            ("outlok.com", "outlook.com"),
            ("iclod.com", "icloud.com"),
            ("protonmial.com", "protonmail.com"),
        ];
        for (typo, expected) in cases {
            assert_eq!(suggest_domain(typo), Some(expected), "for {typo}");
        }
    }

    #[test]
    fn leaves_providers_and_unrelated_domains_alone() {
        for domain in [
            "gmail.com",
            "yahoo.co.uk",
            "ymail.com",
            "example.com",
            "mycompany.org",
            "mac.com",
            "",
        ] {
            assert_eq!(suggest_domain(domain), None, "for {domain}");
        }
    }

    #[test]
    fn leaves_real_regional_provider_domains_alone() {
        for domain in [
            "yahoo.ca",
            "yahoo.co.jp",
            "yahoo.fr",
            "hotmail.ca",
            "gmx.at",
            "yandex.com",
        ] {
            assert_eq!(suggest_domain(domain), None, "for {domain}");
        }
    }

    #[test]
    fn a_tie_gives_no_hint() {
        // One edit from both gmail.com and ymail.com.
        assert_eq!(suggest_domain("xmail.com"), None);
    }
}
