//! The SOCKS5 proxy address (`smtp.proxy`, `--proxy`): `socks5://[user:password@]host:port` or
//! `socks5h://…`, parsed with the `url` crate, checked when the configuration is and shown
//! without its password. Credentials may be percent-encoded (`me%40corp:p%3Ass`); an IPv6 proxy
//! goes in brackets (`socks5://[::1]:1080`). Configuration validates it and the engine dials
//! through it (`engine::proxy`), so it lives outside both.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::{Host, Url};

/// A SOCKS5 proxy to reach mail servers through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socks5Proxy {
    /// host:port of the proxy (an IPv6 address in brackets: `[::1]:1080`).
    pub endpoint: String,
    /// User name and password (RFC 1929, percent-decoded), if the proxy wants them.
    pub credentials: Option<(String, String)>,
    /// `socks5h://`: the proxy is given the mail server's host name and resolves it; with
    /// `socks5://` the engine resolves it and gives the proxy an IP address. The MX lookup
    /// itself (the DNS MX query) is always local.
    pub resolve_at_proxy: bool,
}

/// What every error message ends with.
const SHAPE: &str = "a proxy must look like socks5://[user:password@]host:port or socks5h://…";

impl Socks5Proxy {
    /// Parses `socks5://[user:password@]host:port` or `socks5h://[user:password@]host:port`.
    /// The error names the problem (a bad scheme, a missing port, a path, a control character,
    /// credentials that are not user:password…).
    pub fn parse(text: &str) -> Result<Socks5Proxy, String> {
        let fail = |problem: String| format!("{text:?}: {problem} ({SHAPE})");
        refuse_invisible(text).map_err(fail)?;
        let url =
            Url::parse(text).map_err(|e| fail(format!("not a URL: {e}{}", ipv6_hint(text))))?;
        let resolve_at_proxy = match url.scheme() {
            "socks5" => false,
            "socks5h" => true,
            other => {
                let problem = format!("the scheme {other:?} is not socks5 or socks5h");
                return Err(fail(problem));
            }
        };
        let endpoint = endpoint(text, &url).map_err(fail)?;
        let credentials = raw_userinfo(text)
            .map(|userinfo| credentials(&url, userinfo))
            .transpose()
            .map_err(fail)?;
        Ok(Socks5Proxy {
            endpoint,
            credentials,
            resolve_at_proxy,
        })
    }

    /// The proxy as shown in transcripts: its scheme, the user name (percent-encoded as it
    /// would be written) and host:port, never the password.
    pub fn shown(&self) -> String {
        let scheme = if self.resolve_at_proxy {
            "socks5h"
        } else {
            "socks5"
        };
        match &self.credentials {
            Some((user, _)) => format!("{scheme}://{}@{}", encode(user), self.endpoint),
            None => format!("{scheme}://{}", self.endpoint),
        }
    }
}

/// The URL parser would silently drop tabs and newlines and trim spaces: refuse them, and
/// every other control character or space, naming it.
fn refuse_invisible(text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control() || c.is_whitespace()) {
        Some(c) if c.is_control() => Err(format!(
            "the address holds the control character U+{:04X}",
            u32::from(c)
        )),
        Some(c) => Err(format!(
            "the address holds the space U+{:04X}",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// A hint for an IPv6 address written without its brackets (`socks5://::1:1080`).
fn ipv6_hint(text: &str) -> &'static str {
    let authority = raw_authority(text);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.matches(':').count() > 1 && !host.starts_with('[') {
        "; an IPv6 address goes in brackets, [::1]:1080"
    } else {
        ""
    }
}

/// `host:port` (an IPv6 host in brackets), when the URL has an authority with both, and no
/// path beyond `/`, no query and no fragment.
fn endpoint(text: &str, url: &Url) -> Result<String, String> {
    if !text.contains("://") {
        return Err("no // before the host".into());
    }
    if !matches!(url.path(), "" | "/") {
        return Err(format!("a proxy address has no path ({})", url.path()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a proxy address has no ?query or #fragment".into());
    }
    let host = match url.host() {
        Some(Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Domain(name)) if is_host_name(name) => name.to_string(),
        Some(Host::Domain(name)) => {
            return Err(format!("{name:?} is not a host name or IP address"));
        }
        None => return Err("no proxy host".into()),
    };
    match url.port() {
        Some(0) => Err("port 0".into()),
        Some(port) => Ok(format!("{host}:{port}")),
        None => Err("the proxy needs a port".into()),
    }
}

/// Letters, digits, '.', '-' and '_' (what a resolver takes; `url` keeps a non-special
/// scheme's host as it is written, percent-encoding anything else).
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// The `user:password` part as written, when there is an `@` in the authority (`url` drops an
/// empty one, and an empty password, without a trace).
fn raw_userinfo(text: &str) -> Option<&str> {
    raw_authority(text)
        .rsplit_once('@')
        .map(|(userinfo, _)| userinfo)
}

/// `user:password@host:port` as written (empty without `://`).
fn raw_authority(text: &str) -> &str {
    let after_scheme = text.split_once("://").map_or("", |(_, rest)| rest);
    after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
}

/// The decoded user name and password; both must be there, 1 to 255 bytes each (RFC 1929).
fn credentials(url: &Url, userinfo: &str) -> Result<(String, String), String> {
    if !userinfo.contains(':') {
        return Err("credentials must be user:password".into());
    }
    let user = decode(url.username()).map_err(|e| format!("the user name {e}"))?;
    let password =
        decode(url.password().unwrap_or_default()).map_err(|e| format!("the password {e}"))?;
    for (what, value) in [("user name", &user), ("password", &password)] {
        if value.is_empty() {
            return Err(format!(
                "credentials must be user:password, and the {what} is empty (RFC 1929 needs 1 to 255 bytes)"
            ));
        }
        if value.len() > 255 {
            return Err(format!(
                "the {what} is longer than 255 bytes (the RFC 1929 limit)"
            ));
        }
    }
    Ok((user, password))
}

/// Percent-decodes `text` (as `url` keeps it); the result must be UTF-8 without control
/// characters. The error completes "the user name …".
fn decode(text: &str) -> Result<String, String> {
    let malformed = text.match_indices('%').any(|(i, _)| {
        text.get(i + 1..i + 3)
            .is_none_or(|h| u8::from_str_radix(h, 16).is_err())
    });
    if malformed {
        return Err("has a % not followed by two hex digits".into());
    }
    let decoded = percent_decode_str(text)
        .decode_utf8()
        .map_err(|_| "is not UTF-8 once decoded".to_string())?;
    match decoded.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "holds the control character U+{:04X} once decoded",
            u32::from(c)
        )),
        None => Ok(decoded.into_owned()),
    }
}

/// What stays as it is in a shown user name: RFC 3986's unreserved and sub-delims characters.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

/// Percent-encodes a user name as it would be written in the URL.
fn encode(text: &str) -> String {
    utf8_percent_encode(text, USERINFO).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        Socks5Proxy::parse(text).unwrap_err()
    }

    #[test]
    fn parses_proxies_with_and_without_credentials() {
        let plain = Socks5Proxy::parse("socks5://127.0.0.1:1080").unwrap();
        assert_eq!(plain.endpoint, "127.0.0.1:1080");
        assert_eq!(plain.credentials, None);
        assert!(!plain.resolve_at_proxy);
        assert_eq!(plain.shown(), "socks5://127.0.0.1:1080");
        let auth = Socks5Proxy::parse("socks5://me:s3cret@proxy.example:1080/").unwrap();
        assert_eq!(auth.endpoint, "proxy.example:1080");
        assert_eq!(auth.credentials, Some(("me".into(), "s3cret".into())));
        assert_eq!(auth.shown(), "socks5://me@proxy.example:1080");
    }

    #[test]
    fn socks5h_resolves_at_the_proxy_and_shows_so() {
        let proxy = Socks5Proxy::parse("socks5h://proxy.example:1080").unwrap();
        assert!(proxy.resolve_at_proxy);
        assert_eq!(proxy.shown(), "socks5h://proxy.example:1080");
        assert!(
            Socks5Proxy::parse("SOCKS5H://proxy.example:1080")
                .unwrap()
                .resolve_at_proxy
        );
    }

    #[test]
    fn percent_encoded_credentials_are_decoded_and_the_password_never_shows() {
        let proxy = Socks5Proxy::parse("socks5://me%40corp:p%3Ass@proxy:1080").unwrap();
        assert_eq!(proxy.credentials, Some(("me@corp".into(), "p:ss".into())));
        assert_eq!(proxy.endpoint, "proxy:1080");
        assert_eq!(proxy.shown(), "socks5://me%40corp@proxy:1080");
        assert!(!proxy.shown().contains("p:ss") && !proxy.shown().contains("p%3Ass"));
        let utf8 = Socks5Proxy::parse("socks5://j%C3%B6rg:pw@proxy:1080").unwrap();
        assert_eq!(utf8.credentials, Some(("jörg".into(), "pw".into())));
    }

    #[test]
    fn an_ipv6_proxy_goes_in_brackets() {
        let proxy = Socks5Proxy::parse("socks5://[::1]:1080").unwrap();
        assert_eq!(proxy.endpoint, "[::1]:1080");
        assert_eq!(proxy.shown(), "socks5://[::1]:1080");
        assert!(error("socks5://::1:1080").contains("an IPv6 address goes in brackets"));
    }

    #[test]
    fn bad_addresses_name_their_problem() {
        let cases = [
            ("http://x:1", "scheme \"http\""),
            ("socks4://x:1", "scheme \"socks4\""),
            ("x:1", "scheme \"x\""),
            ("socks5:x:1", "no // before the host"),
            ("socks5://x", "needs a port"),
            ("socks5://x:", "needs a port"),
            ("socks5://x:0", "port 0"),
            ("socks5://x:port", "not a URL: invalid port"),
            ("socks5://x:70000", "not a URL: invalid port"),
            ("socks5://:1080", "not a URL: empty host"),
            ("socks5://x:1/path", "no path (/path)"),
            ("socks5://x:1?q=1", "no ?query or #fragment"),
            ("socks5://x:1#top", "no ?query or #fragment"),
            ("socks5://pr%C3%B8xy:1", "is not a host name or IP address"),
            ("socks5://x:1\n", "control character U+000A"),
            ("socks5://x:\t1", "control character U+0009"),
            (" socks5://x:1", "space U+0020"),
            ("socks5://me:pw\u{7f}@x:1", "control character U+007F"),
        ];
        for (bad, says) in cases {
            let err = error(bad);
            assert!(err.contains(says), "{bad:?}: {err}");
            assert!(err.contains("socks5://[user:password@]host:port"), "{err}");
        }
    }

    #[test]
    fn credentials_must_be_user_and_password() {
        for (bad, says) in [
            ("socks5://me@x:1", "credentials must be user:password"),
            ("socks5://@x:1", "credentials must be user:password"),
            ("socks5://me:@x:1", "the password is empty"),
            ("socks5://:pw@x:1", "the user name is empty"),
            (
                "socks5://me%0A:pw@x:1",
                "user name holds the control character U+000A",
            ),
            (
                "socks5://me:p%00w@x:1",
                "password holds the control character U+0000",
            ),
            ("socks5://me:p%FFw@x:1", "password is not UTF-8"),
            (
                "socks5://me:p%4@x:1",
                "password has a % not followed by two hex digits",
            ),
        ] {
            let err = error(bad);
            assert!(err.contains(says), "{bad:?}: {err}");
        }
        let long = format!("socks5://me:{}@x:1", "p".repeat(256));
        assert!(error(&long).contains("longer than 255 bytes"));
    }
}
