//! Configuration: defaults < config file < environment (`MXKNOCK_*`) < command-line flags.
//!
//! The file is TOML (see `config.example.toml`, which a test proves parses to the defaults),
//! found at the platform config directory (`directories::ProjectDirs`) as `config.toml`, or
//! given with `--config`. Every section and key is optional; unknown keys are errors, reported
//! with the file and line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::address::Address;

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How we speak SMTP.
    pub smtp: SmtpConfig,
    /// How we resolve names.
    pub dns: DnsConfig,
    /// How much we do at once.
    pub engine: EngineConfig,
    /// The terminal front end.
    pub ui: UiConfig,
    /// `mxknock doctor`.
    pub doctor: DoctorConfig,
    /// TUI key bindings that replace the defaults: `"key" = "action"` (`"none"` unbinds).
    pub keys: std::collections::BTreeMap<String, String>,
    /// Mail providers added to or changed in the built-in table (`assets/providers.toml`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<crate::engine::knowledge::providers::ProviderSpec>,
}

/// When to use STARTTLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum StartTlsMode {
    /// Never; speak plain text even when the server offers TLS.
    Never,
    /// When the server offers it; fall back to plain text if the handshake fails.
    #[default]
    Opportunistic,
    /// Always; a server that does not offer it, or a failed handshake, gives unknown/tls_failed.
    Required,
}

/// Colour in the terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ColorMode {
    /// Colour when writing to a terminal and NO_COLOR is unset or empty.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `[smtp]`
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// The name we give in EHLO/HELO; unset means this machine's host name.
    pub helo: Option<String>,
    /// The reverse path for MAIL FROM; empty means the null sender `<>`.
    pub from: String,
    /// The TCP port of mail servers.
    pub port: u16,
    /// When to use STARTTLS.
    pub starttls: StartTlsMode,
    /// Seconds to wait for a TCP connection.
    pub connect_timeout: f64,
    /// Seconds to wait for the greeting.
    pub greeting_timeout: f64,
    /// Seconds to wait for the reply to each command.
    pub command_timeout: f64,
    /// Probe a random address to detect catch-all domains.
    pub catch_all_probe: bool,
    /// How many MX hosts to try before giving up.
    pub max_mx_hosts: usize,
    /// Reach mail servers through this SOCKS5 proxy: `socks5://[user:password@]host:port`
    /// (mxknock resolves the mail servers' names and gives the proxy an IP), or `socks5h://…`
    /// (the proxy resolves the names; the MX lookup stays local). Credentials may be
    /// percent-encoded.
    pub proxy: Option<String>,
    /// Talk to this mail server (host name or IP) instead of each domain's MX hosts, as
    /// swaks' `--server` does: for testing a server before its MX records point at it.
    pub server: Option<String>,
    /// Connect from this local IP address (a machine with several): the address whose
    /// reputation and reverse DNS the servers judge, and the source greylisting remembers.
    pub bind: Option<String>,
}

impl SmtpConfig {
    /// The local address to connect from, when one is set (validated by `Config::validate`).
    pub fn bind_ip(&self) -> Option<std::net::IpAddr> {
        self.bind.as_deref().and_then(|b| unbracket(b).parse().ok())
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            helo: None,
            from: String::new(),
            port: 25,
            starttls: StartTlsMode::Opportunistic,
            connect_timeout: 10.0,
            greeting_timeout: 30.0,
            command_timeout: 30.0,
            catch_all_probe: true,
            max_mx_hosts: 3,
            proxy: None,
            server: None,
            bind: None,
        }
    }
}

/// `[dns]`
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// Resolvers as `HOST` or `HOST:PORT`; empty means the system configuration.
    pub servers: Vec<String>,
    /// Seconds to wait for one DNS answer.
    pub timeout: f64,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            servers: Vec::new(),
            timeout: 5.0,
        }
    }
}

/// `[engine]`
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// How many SMTP sessions may be open at once, in all.
    pub concurrency: usize,
    /// How many SMTP sessions may be open at once to one mail server (by IP address).
    pub per_host: usize,
    /// Seconds to wait between two connections to the same MX host (0: no wait).
    pub connect_interval: f64,
    /// RCPTs sent in one session before reconnecting.
    pub rcpts_per_session: usize,
    /// Rejected RCPTs in one session before reconnecting (Postfix starts delaying replies
    /// after 10 errors and disconnects after 20).
    pub rejected_per_session: usize,
    /// Seconds after which a greylisted address is checked again, one entry per re-check.
    pub greylist_schedule: Vec<f64>,
    /// Longest total wait for greylisting, in seconds; 0 disables re-checks.
    pub greylist_max_wait: f64,
    /// Sessions one address may take part in without getting an answer (a 421, a broken
    /// session, a protocol error, a failed TLS handshake) before it is unknown. Greylisting
    /// re-checks are counted by `greylist_schedule`, not here.
    pub max_sessions_per_address: usize,
    /// Seconds before the first retry of a host whose session failed; each further failure in
    /// a row doubles it (with jitter). Never less than `connect_interval`.
    pub retry_backoff: f64,
    /// Failed sessions in a row after which a host is given up on for the run: every address
    /// still waiting for it is unknown at once.
    pub host_failures_max: usize,
    /// Conclude that outbound port 25 is blocked from here once connects to this many distinct
    /// mail server IPs, of different domains, have failed at the TCP level with none succeeding
    /// (and the `probe_domains` check hosts do not answer either); 0 turns the breaker off.
    pub port_block_after: usize,
    /// Domains of large providers whose MX hosts are dialled to tell "port 25 is blocked here"
    /// from "these domains' servers are down" (also what `doctor` probes).
    pub probe_domains: Vec<String>,
    /// How many submitted addresses may be in flight at once (being prepared, queued for a
    /// session or in one; those waiting for a greylisting re-check do not count). The rest of
    /// a list waits as compact entries of a few dozen bytes each.
    pub max_in_flight: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            concurrency: 16,
            per_host: 2,
            connect_interval: 0.0,
            rcpts_per_session: 50,
            rejected_per_session: 8,
            greylist_schedule: vec![60.0, 300.0, 900.0],
            greylist_max_wait: 1500.0,
            max_sessions_per_address: 3,
            retry_backoff: 2.0,
            host_failures_max: 4,
            port_block_after: 3,
            probe_domains: vec!["gmail.com".into(), "outlook.com".into(), "yahoo.com".into()],
            max_in_flight: 10_000,
        }
    }
}

/// `[doctor]`
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DoctorConfig {
    /// DNS blocklist zones the IP the servers see is looked up on.
    pub blocklists: Vec<String>,
}

impl Default for DoctorConfig {
    fn default() -> Self {
        DoctorConfig {
            blocklists: vec![
                "zen.spamhaus.org".into(),
                "b.barracudacentral.org".into(),
                "bl.spamcop.net".into(),
            ],
        }
    }
}

/// `[ui]`
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Colour in the terminal.
    pub color: ColorMode,
}

/// A configuration problem, naming where it is.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// An environment variable holds a bad value.
    #[error("environment variable {name}={value:?}: {message}")]
    Env {
        name: &'static str,
        value: String,
        message: String,
    },
    /// A value is out of range or unsafe.
    #[error("{setting}: {message}")]
    Invalid {
        /// The key, as `section.key` (with `[index]` for a list entry).
        setting: String,
        message: String,
    },
}

/// Values that override the file: from the environment or from flags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    pub helo: Option<String>,
    pub from: Option<String>,
    pub dns: Option<Vec<String>>,
    pub port: Option<u16>,
    pub concurrency: Option<usize>,
    pub timeout: Option<f64>,
    pub starttls: Option<StartTlsMode>,
    pub catch_all_probe: Option<bool>,
    pub color: Option<ColorMode>,
    pub per_host: Option<usize>,
    pub connect_interval: Option<f64>,
    pub greylist_max_wait: Option<f64>,
    pub proxy: Option<String>,
    pub server: Option<String>,
    pub bind: Option<String>,
}

impl Overrides {
    /// Reads `MXKNOCK_*` variables through `lookup` (so tests need not touch the process env).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Overrides, ConfigError> {
        let text = |name: &'static str| lookup(name).filter(|v| !v.is_empty());
        let starttls = text("MXKNOCK_STARTTLS")
            .map(|v| parse_value::<StartTlsMode>("MXKNOCK_STARTTLS", &v))
            .transpose()?;
        let color = text("MXKNOCK_COLOR")
            .map(|v| parse_value::<ColorMode>("MXKNOCK_COLOR", &v))
            .transpose()?;
        Ok(Overrides {
            helo: text("MXKNOCK_HELO"),
            from: lookup("MXKNOCK_FROM"),
            dns: text("MXKNOCK_DNS").map(|v| v.split(',').map(|s| s.trim().to_string()).collect()),
            port: env_port("MXKNOCK_SMTP_PORT", text("MXKNOCK_SMTP_PORT"))?,
            concurrency: env_number("MXKNOCK_CONCURRENCY", text("MXKNOCK_CONCURRENCY"))?,
            timeout: env_number("MXKNOCK_TIMEOUT", text("MXKNOCK_TIMEOUT"))?,
            starttls,
            catch_all_probe: None,
            color,
            per_host: env_number("MXKNOCK_PER_HOST", text("MXKNOCK_PER_HOST"))?,
            connect_interval: env_number(
                "MXKNOCK_CONNECT_INTERVAL",
                text("MXKNOCK_CONNECT_INTERVAL"),
            )?,
            greylist_max_wait: env_number("MXKNOCK_GREYLIST_WAIT", text("MXKNOCK_GREYLIST_WAIT"))?,
            proxy: text("MXKNOCK_PROXY"),
            server: text("MXKNOCK_SERVER"),
            bind: text("MXKNOCK_BIND"),
        })
    }

    /// Applies every value that is set.
    pub fn apply(&self, config: &mut Config) {
        if let Some(v) = &self.helo {
            config.smtp.helo = Some(v.clone());
        }
        if let Some(v) = &self.from {
            config.smtp.from = v.clone();
        }
        if let Some(v) = &self.dns {
            config.dns.servers = v.clone();
        }
        if let Some(v) = self.port {
            config.smtp.port = v;
        }
        if let Some(v) = self.concurrency {
            config.engine.concurrency = v;
        }
        if let Some(v) = self.timeout {
            config.smtp.connect_timeout = v;
            config.smtp.greeting_timeout = v;
            config.smtp.command_timeout = v;
            config.dns.timeout = v;
        }
        if let Some(v) = self.starttls {
            config.smtp.starttls = v;
        }
        if let Some(v) = self.catch_all_probe {
            config.smtp.catch_all_probe = v;
        }
        if let Some(v) = self.color {
            config.ui.color = v;
        }
        if let Some(v) = self.per_host {
            config.engine.per_host = v;
        }
        if let Some(v) = self.connect_interval {
            config.engine.connect_interval = v;
        }
        if let Some(v) = self.greylist_max_wait {
            config.engine.greylist_max_wait = v;
        }
        if let Some(v) = &self.proxy {
            config.smtp.proxy = Some(v.clone());
        }
        if let Some(v) = &self.server {
            config.smtp.server = Some(v.clone());
        }
        if let Some(v) = &self.bind {
            config.smtp.bind = Some(v.clone());
        }
    }
}

/// Parses a number from an environment variable, naming it when it is not one.
fn env_number<T>(name: &'static str, value: Option<String>) -> Result<Option<T>, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    value
        .map(|v| {
            v.trim().parse::<T>().map_err(|e| ConfigError::Env {
                name,
                message: e.to_string(),
                value: v,
            })
        })
        .transpose()
}

/// Parses a TCP port from an environment variable: 1 to 65535.
fn env_port(name: &'static str, value: Option<String>) -> Result<Option<u16>, ConfigError> {
    match env_number::<u16>(name, value)? {
        Some(0) => Err(ConfigError::Env {
            name,
            value: "0".into(),
            message: PORT_RANGE.into(),
        }),
        port => Ok(port),
    }
}

/// What a port must be.
const PORT_RANGE: &str = "a port is 1 to 65535";

fn parse_value<T: clap::ValueEnum>(name: &'static str, value: &str) -> Result<T, ConfigError> {
    T::from_str(&value.to_ascii_lowercase(), true).map_err(|_| ConfigError::Env {
        name,
        value: value.to_string(),
        message: format!(
            "expected one of {}",
            T::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value())
                .map(|v| v.get_name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

impl Config {
    /// The default config file location for this platform, if there is one.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "mxknock")
            .map(|d| d.config_dir().join("config.toml"))
    }

    /// Parses TOML text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(text, &e),
        })
    }

    /// Loads the file named, or the default file when it exists, or the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match Self::default_path() {
                Some(p) if p.exists() => p,
                _ => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Self::from_toml(&text, &path)
    }

    /// The provider table in effect: the built-in one with `[[providers]]` laid over it.
    pub fn provider_table(&self) -> Result<crate::engine::knowledge::providers::Providers, String> {
        crate::engine::knowledge::providers::Providers::new(&self.providers)
    }

    /// Checks ranges and that nothing unsafe can reach the wire.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &str, message: String| {
            Err(ConfigError::Invalid {
                setting: setting.to_string(),
                message,
            })
        };
        if self.engine.concurrency == 0 {
            return invalid("concurrency", "must be at least 1".into());
        }
        if let Err(message) = self.provider_table() {
            return invalid("providers", message);
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

    /// The EHLO name: the configured one, else this machine's host name.
    pub fn helo_name(&self) -> String {
        self.smtp.helo.clone().unwrap_or_else(system_host_name)
    }

    /// A duration from seconds.
    pub fn secs(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
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
fn unbracket(text: &str) -> &str {
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

/// This machine's host name (`gethostname`, with or without a dot), or "localhost" when it is
/// not a valid HELO name (not UTF-8, empty, or holding other characters).
fn system_host_name() -> String {
    gethostname::gethostname()
        .into_string()
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| is_valid_helo(name))
        .unwrap_or_else(|| "localhost".to_string())
}

/// The toml error message with the line number spelt out.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let line = error
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let message = error.message().trim();
    match line {
        Some(line) => format!("line {line}: {message}"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let text = include_str!("../config.example.toml");
        let parsed = Config::from_toml(text, Path::new("config.example.toml")).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn unknown_keys_are_errors_with_a_line_number() {
        let text = "[smtp]\nport = 25\nhelo_name = \"x\"\n";
        let err = Config::from_toml(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("helo_name"), "{err}");
    }

    #[test]
    fn layers_apply_in_order_file_env_flags() {
        let mut config = Config::from_toml(
            "[smtp]\nhelo = \"file.example\"\nport = 2525\n",
            Path::new("f"),
        )
        .unwrap();
        let env = Overrides::from_env(|name| match name {
            "MXKNOCK_HELO" => Some("env.example".into()),
            "MXKNOCK_CONCURRENCY" => Some("3".into()),
            _ => None,
        })
        .unwrap();
        let flags = Overrides {
            helo: Some("flag.example".into()),
            ..Overrides::default()
        };
        env.apply(&mut config);
        flags.apply(&mut config);
        assert_eq!(config.smtp.helo.as_deref(), Some("flag.example"));
        assert_eq!(config.engine.concurrency, 3);
        assert_eq!(config.smtp.port, 2525);
        assert_eq!(config.smtp.command_timeout, 30.0);
    }

    #[test]
    fn bad_env_values_name_the_variable() {
        let err = Overrides::from_env(|n| (n == "MXKNOCK_CONCURRENCY").then(|| "lots".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("MXKNOCK_CONCURRENCY"), "{err}");
        let err = Overrides::from_env(|n| (n == "MXKNOCK_STARTTLS").then(|| "maybe".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("opportunistic"), "{err}");
    }

    /// The error `config` fails validation with.
    fn invalid(config: &Config) -> String {
        config.validate().expect_err("invalid").to_string()
    }

    #[test]
    fn port_zero_is_refused_from_the_file_and_the_environment() {
        let mut config = Config::default();
        config.smtp.port = 0;
        let err = invalid(&config);
        assert!(err.starts_with("smtp.port: 0 is not a port"), "{err}");
        let err = Overrides::from_env(|n| (n == "MXKNOCK_SMTP_PORT").then(|| "0".into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("environment variable MXKNOCK_SMTP_PORT=\"0\""),
            "{err}"
        );
        let port = Overrides::from_env(|n| (n == "MXKNOCK_SMTP_PORT").then(|| "2525".into()));
        assert_eq!(port.unwrap().port, Some(2525));
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

    #[test]
    fn the_default_helo_name_is_this_hosts_name_when_valid() {
        let name = system_host_name();
        assert!(is_valid_helo(&name), "{name:?}");
        let host = gethostname::gethostname().into_string().unwrap_or_default();
        if is_valid_helo(host.trim()) {
            assert_eq!(name, host.trim());
        } else {
            assert_eq!(name, "localhost");
        }
        assert_eq!(Config::default().helo_name(), name);
    }
}
