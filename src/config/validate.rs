//! Validation of the merged configuration: ranges, and that nothing unsafe can reach the
//! wire. An error names the key (`section.key`, with `[index]` for a list entry); the caller
//! adds where the value came from (`super::origin`).

use super::{Config, ConfigError, EngineConfig, PORT_RANGE};
use crate::address::Address;

impl Config {
    /// Checks ranges and that nothing unsafe can reach the wire.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &str, message: String| {
            Err(ConfigError::Invalid {
                setting: setting.to_string(),
                message,
            })
        };
        if self.engine.concurrency == 0 {
            return invalid("engine.concurrency", "must be at least 1".into());
        }
        if let Err(message) = self.provider_table() {
            // The first entry whose addition breaks the table is the one to name.
            let entry = (0..self.providers.len())
                .find(|&i| {
                    crate::engine::knowledge::providers::Providers::new(&self.providers[..=i])
                        .is_err()
                })
                .map_or_else(|| "providers".to_string(), |i| format!("providers[{i}]"));
            return invalid(&entry, message);
        }
        if self.smtp.port == 0 {
            return invalid("smtp.port", format!("0 is not a port ({PORT_RANGE})"));
        }
        for (setting, secs) in [
            ("smtp.connect_timeout", self.smtp.connect_timeout),
            ("smtp.greeting_timeout", self.smtp.greeting_timeout),
            ("smtp.command_timeout", self.smtp.command_timeout),
            ("dns.timeout", self.dns.timeout),
        ] {
            if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
                return invalid(
                    setting,
                    format!("{secs} is not a number of seconds in (0, 3600]"),
                );
            }
        }
        for (setting, value) in [
            ("engine.per_host", self.engine.per_host),
            ("engine.rcpts_per_session", self.engine.rcpts_per_session),
            (
                "engine.rejected_per_session",
                self.engine.rejected_per_session,
            ),
            (
                "engine.max_sessions_per_address",
                self.engine.max_sessions_per_address,
            ),
            ("engine.host_failures_max", self.engine.host_failures_max),
            ("engine.max_in_flight", self.engine.max_in_flight),
        ] {
            if value == 0 {
                return invalid(setting, "must be at least 1".into());
            }
        }
        let backoff = self.engine.retry_backoff;
        if !(backoff.is_finite() && backoff > 0.0 && backoff <= 3600.0) {
            return invalid(
                "engine.retry_backoff",
                format!("{backoff} is not a number of seconds in (0, 3600]"),
            );
        }
        self.engine.validate_waits()?;
        for (setting, secs) in [
            ("history.reuse_for", self.history.reuse_for),
            ("history.catch_all_for", self.history.catch_all_for),
            ("history.refused_us_for", self.history.refused_us_for),
        ] {
            if !(secs.is_finite() && secs >= 0.0) {
                return invalid(setting, format!("{secs} is not a number of seconds >= 0"));
            }
        }
        if let Some(proxy) = self.smtp.proxy.as_deref().filter(|p| !p.is_empty()) {
            crate::proxy_url::Socks5Proxy::parse(proxy).map_err(|message| {
                ConfigError::Invalid {
                    setting: "smtp.proxy".into(),
                    message,
                }
            })?;
        }
        if let Some(server) = self.smtp.server.as_deref().filter(|s| !s.is_empty()) {
            parse_server(server).map_err(|message| ConfigError::Invalid {
                setting: "smtp.server".into(),
                message,
            })?;
        }
        if let Some(bind) = self.smtp.bind.as_deref().filter(|b| !b.is_empty()) {
            let Some(ip) = self.smtp.bind_ip() else {
                return invalid("smtp.bind", format!("{bind:?} is not an IP address"));
            };
            if ip.is_unspecified() {
                return invalid(
                    "smtp.bind",
                    format!("{ip} means any address; give one of this machine's addresses"),
                );
            }
            if let Err(e) = std::net::TcpListener::bind((ip, 0)) {
                return invalid(
                    "smtp.bind",
                    format!("{ip} is not an address of this machine ({e})"),
                );
            }
            if self.smtp.proxy.as_deref().is_some_and(|p| !p.is_empty()) {
                return invalid(
                    "smtp.bind",
                    "cannot go with smtp.proxy: the servers see the proxy's address; give one"
                        .into(),
                );
            }
        }
        if self.smtp.max_mx_hosts == 0 {
            return invalid("smtp.max_mx_hosts", "must be at least 1".into());
        }
        if !self.smtp.from.is_empty()
            && let Err(e) = Address::parse(&self.smtp.from)
        {
            return invalid(
                "smtp.from",
                format!("{:?} is not a valid address: {e}", self.smtp.from),
            );
        }
        if let Some(helo) = &self.smtp.helo
            && !is_valid_helo(helo)
        {
            return invalid(
                "smtp.helo",
                format!(
                    "{helo:?} is not a host name (letters, digits, '.', '-') or address literal"
                ),
            );
        }
        for server in &self.dns.servers {
            parse_dns_server(server).map_err(|message| ConfigError::Invalid {
                setting: "dns.servers".into(),
                message,
            })?;
        }
        for (i, zone) in self.doctor.blocklists.iter().enumerate() {
            if parse_server(zone).is_err() || zone.parse::<std::net::IpAddr>().is_ok() {
                return invalid(
                    &format!("doctor.blocklists[{i}]"),
                    format!("{zone:?} is not a DNS zone name (letters, digits, '-' between dots)"),
                );
            }
        }
        Ok(())
    }
}

impl EngineConfig {
    /// Every wait is a number of seconds >= 0, and greylisting has a schedule unless it is
    /// disabled; errors name the key (`engine.greylist_schedule[1]`).
    fn validate_waits(&self) -> Result<(), ConfigError> {
        let schedule = self.greylist_schedule.iter().enumerate();
        let waits = [
            ("engine.connect_interval".to_string(), self.connect_interval),
            (
                "engine.greylist_max_wait".to_string(),
                self.greylist_max_wait,
            ),
        ]
        .into_iter()
        .chain(schedule.map(|(i, secs)| (format!("engine.greylist_schedule[{i}]"), *secs)));
        for (setting, secs) in waits {
            if !(secs.is_finite() && secs >= 0.0) {
                return Err(ConfigError::Invalid {
                    setting,
                    message: format!("{secs} is not a number of seconds >= 0"),
                });
            }
        }
        if self.greylist_schedule.is_empty() && self.greylist_max_wait > 0.0 {
            return Err(ConfigError::Invalid {
                setting: "engine.greylist_schedule".into(),
                message: "is empty; to disable greylisting re-checks, set greylist_max_wait = 0"
                    .into(),
            });
        }
        Ok(())
    }
}

/// A HELO name may only hold letters, digits, dots and hyphens, or be an address literal.
pub fn is_valid_helo(name: &str) -> bool {
    if name.is_empty() || name.len() > 255 {
        return false;
    }
    if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        let inner = inner.strip_prefix("IPv6:").unwrap_or(inner);
        return inner.parse::<std::net::IpAddr>().is_ok();
    }
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// `[x]` without its brackets; anything else as it is (a lone bracket stays and fails to parse).
pub(crate) fn unbracket(text: &str) -> &str {
    text.strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text)
}

/// Checks a mail server given instead of the MX hosts and returns it as the engine looks it
/// up: a host name (lowercase, no trailing dot) or a bare IP (IPv6 without brackets).
pub fn parse_server(text: &str) -> Result<String, String> {
    if let Ok(ip) = unbracket(text).parse::<std::net::IpAddr>() {
        return Ok(ip.to_string());
    }
    if text.contains('%') {
        return Err(format!(
            "{text:?}: IPv6 zone indexes (%iface) are not supported; give a global address"
        ));
    }
    if text.contains(':') {
        return Err(format!(
            "{text:?}: give the host alone; the port is --smtp-port (smtp.port)"
        ));
    }
    let name = text.trim_end_matches('.');
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(format!(
            "{text:?} is not a host name (letters, digits, '-' between dots) or an IP address"
        ));
    }
    Ok(name.to_ascii_lowercase())
}

/// Parses `HOST` or `HOST:PORT` (IPv6 as `[::1]:53`) into a socket address.
pub fn parse_dns_server(text: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(addr) = text.parse::<std::net::SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = text
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<std::net::IpAddr>()
    {
        return Ok(std::net::SocketAddr::new(ip, 53));
    }
    Err(format!("{text:?} is not an IP address or IP:PORT"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The error `config` fails validation with.
    fn invalid(config: &Config) -> String {
        config.validate().expect_err("invalid").to_string()
    }

    #[test]
    fn port_zero_is_refused() {
        let mut config = Config::default();
        config.smtp.port = 0;
        let err = invalid(&config);
        assert!(err.starts_with("smtp.port: 0 is not a port"), "{err}");
    }

    #[test]
    fn negative_waits_name_their_key() {
        type Set = fn(&mut EngineConfig);
        let cases: [(Set, &str); 4] = [
            (
                |e| e.connect_interval = -1.0,
                "engine.connect_interval: -1 ",
            ),
            (
                |e| e.greylist_max_wait = -2.0,
                "engine.greylist_max_wait: -2 ",
            ),
            (
                |e| e.greylist_schedule = vec![60.0, -5.0],
                "engine.greylist_schedule[1]: -5 ",
            ),
            (
                |e| e.greylist_schedule = vec![f64::NAN],
                "engine.greylist_schedule[0]: NaN ",
            ),
        ];
        for (set, expected) in cases {
            let mut config = Config::default();
            set(&mut config.engine);
            let err = invalid(&config);
            assert!(err.starts_with(expected), "{err}");
        }
    }

    #[test]
    fn an_empty_greylist_schedule_says_how_to_disable_rechecks() {
        let mut config =
            Config::from_toml("[engine]\ngreylist_schedule = []\n", Path::new("c")).unwrap();
        let err = invalid(&config);
        assert!(
            err.starts_with("engine.greylist_schedule: is empty"),
            "{err}"
        );
        assert!(err.contains("greylist_max_wait = 0"), "{err}");
        config.engine.greylist_max_wait = 0.0;
        assert!(config.validate().is_ok(), "empty and disabled agree");
    }

    #[test]
    fn helo_and_from_cannot_carry_smtp_injection() {
        let mut config = Config::default();
        config.smtp.helo = Some("host\r\nRCPT TO:<x@y.test>".into());
        assert!(config.validate().is_err());
        config.smtp.helo = Some("mx.example.org".into());
        assert!(config.validate().is_ok());
        config.smtp.from = "a@b.test>\r\nDATA".into();
        assert!(config.validate().is_err());
        assert!(is_valid_helo("[127.0.0.1]"));
        assert!(!is_valid_helo("[not an ip]"));
    }

    #[test]
    fn a_server_is_a_host_name_or_an_ip_and_never_carries_a_port_or_injection() {
        assert_eq!(
            parse_server("Mail.Example.ORG.").unwrap(),
            "mail.example.org"
        );
        assert_eq!(parse_server("127.0.0.11").unwrap(), "127.0.0.11");
        assert_eq!(parse_server("[::1]").unwrap(), "::1");
        assert_eq!(parse_server("2001:db8::25").unwrap(), "2001:db8::25");
        let err = parse_server("mail.example.org:587").unwrap_err();
        assert!(err.contains("--smtp-port"), "{err}");
        for bad in [
            "",
            "mail example",
            "-mx.example",
            "mx..example",
            "mx\r\nDATA",
            "mx_1.example",
            "[127.0.0.1",
        ] {
            assert!(parse_server(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_server("fe80::1%lo").unwrap_err().contains("zone"));
        let mut config = Config::default();
        config.smtp.server = Some("mx\r\nDATA".into());
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("smtp.server"), "{err}");
    }

    #[test]
    fn bind_is_a_local_ip_address() {
        let with_bind = |bind: &str| {
            let mut config = Config::default();
            config.smtp.bind = Some(bind.into());
            config.validate().map_err(|e| e.to_string())
        };
        assert!(with_bind("127.0.0.1").is_ok());
        assert!(with_bind("[127.0.0.1]").is_ok());
        for (bad, says) in [
            ("eth0", "not an IP address"),
            ("[127.0.0.1", "not an IP address"),
            ("0.0.0.0", "any address"),
            ("192.0.2.55", "not an address of this machine"),
        ] {
            let err = with_bind(bad).unwrap_err();
            assert!(
                err.contains("smtp.bind") && err.contains(says),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn doctor_blocklists_must_be_zone_names() {
        let mut config = Config::from_toml(
            "[doctor]\nblocklists = [\"dnsbl.lab.test\"]\n",
            Path::new("c"),
        )
        .unwrap();
        assert_eq!(config.doctor.blocklists, ["dnsbl.lab.test"]);
        assert!(config.validate().is_ok());
        config.doctor.blocklists = vec!["ok.test".into(), "bad zone\r\n".into()];
        let err = invalid(&config);
        assert!(err.starts_with("doctor.blocklists[1]: "), "{err}");
    }

    #[test]
    fn dns_servers_parse_with_and_without_port() {
        assert_eq!(parse_dns_server("127.0.0.1").unwrap().port(), 53);
        assert_eq!(parse_dns_server("127.0.0.1:5353").unwrap().port(), 5353);
        assert_eq!(parse_dns_server("[::1]:5353").unwrap().port(), 5353);
        assert!(parse_dns_server("dns.example").is_err());
    }
}
