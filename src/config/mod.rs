//! Configuration: defaults < config file < environment (`MXKNOCK_*`) < command-line flags.
//! The environment variables are the flags' own (clap's `env`), so `--help` lists each; a
//! validation error names where the bad value came from ([`origin`]).
//!
//! The file is TOML (see `config.example.toml`, which `mxknock config template` prints and a
//! test in `cli::config_command` proves parses to the defaults),
//! found at the platform config directory (`directories::ProjectDirs`) as `config.toml`, or
//! given with `--config`. Every section and key is optional; unknown keys are errors, reported
//! with the file and line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub mod origin;
mod validate;

use validate::unbracket;
pub use validate::{is_valid_helo, parse_dns_server, parse_server};

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
    /// The verification history (SQLite).
    pub history: HistoryConfig,
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

/// `[history]`
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistoryConfig {
    /// Keep every finished check in the history database, and reuse recent results.
    pub enabled: bool,
    /// The database file; unset: `history.sqlite` in the platform data directory (Linux:
    /// `~/.local/share/mxknock/`).
    pub path: Option<PathBuf>,
    /// Seconds a stored result stands in for a new check (0: always ask). Unknown results
    /// (greylisted, blocked, timeout ...) are never reused.
    pub reuse_for: f64,
    /// Seconds a domain's catch-all result stands in for the probe (0: always probe). Not
    /// with `--fresh`, and never from checks made through `--server`.
    pub catch_all_for: f64,
    /// Seconds a domain whose server refused us (our IP, rDNS, HELO, a blocklist) is not
    /// asked again: its addresses are `unknown/blocked` from the history (0: always ask). Not
    /// with `--fresh`, and never from checks made through `--server`.
    pub refused_us_for: f64,
    /// Keep each check's transcript (its first 400 lines / 64 KiB).
    pub transcripts: bool,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            enabled: true,
            path: None,
            reuse_for: 86_400.0,
            catch_all_for: 21_600.0,
            refused_us_for: 3_600.0,
            transcripts: true,
        }
    }
}

/// `[ui]`
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// Colour in the terminal.
    pub color: ColorMode,
    /// Capture the mouse in the TUI (click to select, wheel to scroll); false leaves it to
    /// the terminal, so text can be selected and copied.
    pub mouse: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            color: ColorMode::Auto,
            mouse: true,
        }
    }
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
    /// A value is out of range or unsafe.
    #[error("{setting}: {message}")]
    Invalid {
        /// The key, as `section.key` (with `[index]` for a list entry).
        setting: String,
        message: String,
    },
}

/// Values that override the file: the command line's options, each given as a flag or through
/// its `MXKNOCK_*` environment variable (clap reads both; see `cli::args`).
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
    pub mouse: Option<bool>,
    pub history_path: Option<PathBuf>,
    pub history_enabled: Option<bool>,
}

impl Overrides {
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
        if let Some(v) = self.mouse {
            config.ui.mouse = v;
        }
        if let Some(v) = &self.history_path {
            config.history.path = Some(v.clone());
        }
        if let Some(v) = self.history_enabled {
            config.history.enabled = v;
        }
    }
}

/// What a port must be.
pub(crate) const PORT_RANGE: &str = "a port is 1 to 65535";

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

    /// The file that is read: the one named (`--config`, `MXKNOCK_CONFIG`), else the
    /// platform default when it exists; `None` means the defaults are used.
    pub fn path_in_effect(explicit: Option<&Path>) -> Option<PathBuf> {
        match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Self::default_path().filter(|p| p.exists()),
        }
    }

    /// Loads the file in effect (see [`Config::path_in_effect`]), or the defaults; with the
    /// file's text, for finding the line a setting is on.
    pub fn load(
        explicit: Option<&Path>,
    ) -> Result<(Config, Option<origin::FileSource>), ConfigError> {
        let Some(path) = Self::path_in_effect(explicit) else {
            return Ok((Config::default(), None));
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let config = Self::from_toml(&text, &path)?;
        Ok((config, Some(origin::FileSource { path, text })))
    }

    /// The provider table in effect: the built-in one with `[[providers]]` laid over it.
    pub fn provider_table(&self) -> Result<crate::engine::knowledge::providers::Providers, String> {
        crate::engine::knowledge::providers::Providers::new(&self.providers)
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
    fn flags_override_the_file_and_leave_the_rest() {
        let mut config = Config::from_toml(
            "[smtp]\nhelo = \"file.example\"\nport = 2525\n",
            Path::new("f"),
        )
        .unwrap();
        let flags = Overrides {
            helo: Some("flag.example".into()),
            concurrency: Some(3),
            timeout: Some(7.0),
            ..Overrides::default()
        };
        flags.apply(&mut config);
        assert_eq!(config.smtp.helo.as_deref(), Some("flag.example"));
        assert_eq!(config.engine.concurrency, 3);
        assert_eq!(config.smtp.port, 2525);
        assert_eq!(config.smtp.command_timeout, 7.0);
        assert_eq!(config.dns.timeout, 7.0);
        assert_eq!(config.engine.per_host, EngineConfig::default().per_host);
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
