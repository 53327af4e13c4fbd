//! The SOCKS5 proxy address (`smtp.proxy`, `--proxy`): `socks5://[user:password@]host:port`,
//! checked when the configuration is and shown without its password. Configuration validates
//! it and the engine dials through it (`engine::proxy`), so it lives outside both.

/// A SOCKS5 proxy to reach mail servers through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socks5Proxy {
    /// host:port of the proxy.
    pub endpoint: String,
    /// User name and password (RFC 1929), if the proxy wants them.
    pub credentials: Option<(String, String)>,
}

impl Socks5Proxy {
    /// Parses `socks5://[user:password@]host:port` (also `socks5h://`).
    pub fn parse(text: &str) -> Result<Socks5Proxy, String> {
        let rest = text
            .strip_prefix("socks5://")
            .or_else(|| text.strip_prefix("socks5h://"))
            .ok_or_else(|| {
                format!("{text:?}: a proxy must look like socks5://[user:password@]host:port")
            })?;
        let (credentials, endpoint) = match rest.rsplit_once('@') {
            Some((auth, endpoint)) => {
                let (user, password) = auth
                    .split_once(':')
                    .ok_or_else(|| format!("{text:?}: credentials must be user:password"))?;
                (Some((user.to_string(), password.to_string())), endpoint)
            }
            None => (None, rest),
        };
        let endpoint = endpoint.trim_end_matches('/');
        let (host, port) = endpoint
            .rsplit_once(':')
            .ok_or_else(|| format!("{text:?}: the proxy needs a port"))?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!("{text:?}: the proxy needs host:port"));
        }
        if endpoint
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(format!(
                "{text:?}: spaces or control characters in the proxy address"
            ));
        }
        Ok(Socks5Proxy {
            endpoint: endpoint.to_string(),
            credentials,
        })
    }

    /// The proxy as shown in transcripts (never the password).
    pub fn shown(&self) -> String {
        match &self.credentials {
            Some((user, _)) => format!("socks5://{user}@{}", self.endpoint),
            None => format!("socks5://{}", self.endpoint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proxies_with_and_without_credentials() {
        let plain = Socks5Proxy::parse("socks5://127.0.0.1:1080").unwrap();
        assert_eq!(plain.endpoint, "127.0.0.1:1080");
        assert_eq!(plain.credentials, None);
        let auth = Socks5Proxy::parse("socks5://me:s3cret@proxy.example:1080").unwrap();
        assert_eq!(auth.credentials, Some(("me".into(), "s3cret".into())));
        assert_eq!(auth.shown(), "socks5://me@proxy.example:1080");
        assert!(!auth.shown().contains("s3cret"));
        for bad in [
            "http://x:1",
            "socks5://x",
            "socks5://:1080",
            "socks5://me@x:1",
            "socks5://x:port",
        ] {
            assert!(Socks5Proxy::parse(bad).is_err(), "{bad}");
        }
    }
}
