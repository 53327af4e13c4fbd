//! The option groups that are settings (SMTP, DNS, Engine, History, Output), each under its
//! help heading and with its `MXKNOCK_*` variable, what they override in the config, and
//! [`origins`]: which flag or variable set a value, for validation's messages.

use std::path::PathBuf;

use clap::Args;

use crate::config::{ColorMode, Overrides, StartTlsMode};

/// `--demo`: the embedded lab instead of the network.
#[derive(Clone, Debug, Default, Args)]
pub struct LabArg {
    /// Run against the embedded lab (no network needed).
    #[arg(long)]
    pub demo: bool,
}

/// `--config`: which config file.
#[derive(Clone, Debug, Default, Args)]
pub struct ConfigFileArg {
    /// Config file (default: the platform config dir's mxknock/config.toml; see `mxknock
    /// config path`).
    #[arg(long, env = "MXKNOCK_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// The settings a run takes from the command line: the config file and the SMTP, DNS and
/// engine options.
#[derive(Clone, Debug, Default, Args)]
pub struct SettingsArgs {
    /// The config file.
    #[command(flatten)]
    pub file: ConfigFileArg,
    /// How we speak SMTP.
    #[command(flatten)]
    pub smtp: SmtpArgs,
    /// How we resolve names.
    #[command(flatten)]
    pub dns: DnsArgs,
    /// How much we do at once.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// The verification history.
    #[command(flatten)]
    pub history: HistoryArgs,
}

/// How we speak SMTP.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "SMTP")]
pub struct SmtpArgs {
    /// MAIL FROM address; empty for the null sender <>.
    #[arg(long, env = "MXKNOCK_FROM", value_name = "ADDR")]
    pub from: Option<String>,
    /// EHLO name (default: this machine's host name).
    #[arg(long, env = "MXKNOCK_HELO", value_name = "NAME")]
    pub helo: Option<String>,
    /// SMTP port of the mail servers (25 unless testing).
    #[arg(long, env = "MXKNOCK_SMTP_PORT", value_name = "PORT",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub smtp_port: Option<u16>,
    /// When to use STARTTLS.
    #[arg(long, env = "MXKNOCK_STARTTLS", value_enum, ignore_case = true)]
    pub starttls: Option<StartTlsMode>,
    /// Do not probe a random address to detect catch-all domains.
    #[arg(long, env = "MXKNOCK_NO_CATCH_ALL", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_catch_all: bool,
    /// Seconds to wait for DNS, connect, greeting and every reply.
    #[arg(long, env = "MXKNOCK_TIMEOUT", value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Talk to this mail server (host name or IP) instead of each domain's MX hosts, as swaks
    /// --server does; the port is --smtp-port.
    #[arg(long, env = "MXKNOCK_SERVER", value_name = "HOST")]
    pub server: Option<String>,
    /// Reach mail servers through a SOCKS5 proxy: socks5://[user:password@]host:port
    /// (socks5h:// has the proxy resolve the mail servers' names).
    #[arg(long, env = "MXKNOCK_PROXY", value_name = "URL")]
    pub proxy: Option<String>,
    /// Connect from this local IP address (on a machine with several; not with --proxy).
    #[arg(long, env = "MXKNOCK_BIND", value_name = "IP")]
    pub bind: Option<String>,
}

/// How we resolve names.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "DNS")]
pub struct DnsArgs {
    /// DNS servers as IP or IP:PORT (repeat or separate by commas; default: the system's).
    #[arg(
        long,
        env = "MXKNOCK_DNS",
        value_name = "HOST:PORT",
        value_delimiter = ','
    )]
    pub dns: Vec<String>,
}

/// How much we do at once.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Engine")]
pub struct EngineArgs {
    /// How many SMTP sessions may be open at once, in all.
    #[arg(long, env = "MXKNOCK_CONCURRENCY", value_name = "N")]
    pub concurrency: Option<usize>,
    /// How many SMTP sessions may be open at once to one MX host.
    #[arg(long, env = "MXKNOCK_PER_HOST", value_name = "N")]
    pub per_host: Option<usize>,
    /// Seconds to wait between two connections to the same MX host.
    #[arg(long, env = "MXKNOCK_CONNECT_INTERVAL", value_name = "SECS")]
    pub connect_interval: Option<f64>,
    /// Longest total wait for greylisting re-checks, in seconds (0: no re-check).
    #[arg(long, env = "MXKNOCK_GREYLIST_WAIT", value_name = "SECS")]
    pub greylist_wait: Option<f64>,
}

/// The verification history.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "History")]
pub struct HistoryArgs {
    /// The history database (default: the platform data dir's mxknock/history.sqlite; with
    /// --demo the history is used only when this is given).
    #[arg(long, env = "MXKNOCK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Neither reuse nor record results (history.enabled = false).
    #[arg(long, env = "MXKNOCK_NO_HISTORY", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_history: bool,
    /// Ask every server again, even for results younger than history.reuse_for (they are
    /// still recorded).
    #[arg(long, env = "MXKNOCK_FRESH", value_parser = clap::builder::BoolishValueParser::new())]
    pub fresh: bool,
}

/// Colour and how much to say.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// When to colour output.
    #[arg(long, env = "MXKNOCK_COLOR", value_enum, ignore_case = true)]
    pub color: Option<ColorMode>,
    /// Say less: no progress bar or summary (batch), no result lines (check: the exit code
    /// tells).
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log what the engine decides to standard error (or --log-file): -v what happens to
    /// each address and host, -vv each step, -vvv everything.
    #[arg(long, short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Write the -v log to this file (appended) instead of standard error; the TUI logs
    /// only there, never onto its screen.
    #[arg(long, env = "MXKNOCK_LOG_FILE", value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

impl SettingsArgs {
    /// The flags (and their environment variables) as config overrides.
    pub fn overrides(&self) -> Overrides {
        let mut overrides = Overrides::default();
        self.smtp.fill(&mut overrides);
        self.dns.fill(&mut overrides);
        self.engine.fill(&mut overrides);
        overrides.history_path = self.history.db.clone();
        overrides.history_enabled = self.history.no_history.then_some(false);
        overrides
    }
}

impl SmtpArgs {
    /// Copies the options that are set.
    pub fn fill(&self, o: &mut Overrides) {
        o.helo = self.helo.clone();
        o.from = self.from.clone();
        o.port = self.smtp_port;
        o.starttls = self.starttls;
        o.catch_all_probe = self.no_catch_all.then_some(false);
        o.timeout = self.timeout;
        o.server = self.server.clone();
        o.proxy = self.proxy.clone();
        o.bind = self.bind.clone();
    }
}

impl DnsArgs {
    /// Copies the options that are set.
    pub fn fill(&self, o: &mut Overrides) {
        o.dns = (!self.dns.is_empty()).then(|| self.dns.clone());
    }
}

impl EngineArgs {
    /// Copies the options that are set.
    pub fn fill(&self, o: &mut Overrides) {
        o.concurrency = self.concurrency;
        o.per_host = self.per_host;
        o.connect_interval = self.connect_interval;
        o.greylist_max_wait = self.greylist_wait;
    }
}

/// Each setting option (by its clap id, the field name) and the config keys it sets.
pub const SETTING_OPTIONS: &[(&str, &[&str])] = &[
    ("config", &[]),
    ("from", &["smtp.from"]),
    ("helo", &["smtp.helo"]),
    ("smtp_port", &["smtp.port"]),
    ("starttls", &["smtp.starttls"]),
    ("no_catch_all", &["smtp.catch_all_probe"]),
    (
        "timeout",
        &[
            "smtp.connect_timeout",
            "smtp.greeting_timeout",
            "smtp.command_timeout",
            "dns.timeout",
        ],
    ),
    ("server", &["smtp.server"]),
    ("proxy", &["smtp.proxy"]),
    ("bind", &["smtp.bind"]),
    ("dns", &["dns.servers"]),
    ("concurrency", &["engine.concurrency"]),
    ("per_host", &["engine.per_host"]),
    ("connect_interval", &["engine.connect_interval"]),
    ("greylist_wait", &["engine.greylist_max_wait"]),
    ("color", &["ui.color"]),
    ("no_mouse", &["ui.mouse"]),
    ("db", &["history.path"]),
    ("no_history", &["history.enabled"]),
];

/// Where the command line's settings came from: for each option present in `matches` (the
/// matches of the command that runs, whose definition is `command`), the flag as typed or
/// its environment variable.
pub fn origins(
    matches: &clap::ArgMatches,
    command: &clap::Command,
    file: Option<crate::config::origin::FileSource>,
) -> crate::config::origin::Origins {
    use crate::config::origin::{Origin, Origins};
    use clap::parser::ValueSource;
    let mut origins = Origins::new(file);
    for (id, settings) in SETTING_OPTIONS {
        if !matches.ids().any(|present| present.as_str() == *id) {
            continue;
        }
        let Some(arg) = command.get_arguments().find(|a| a.get_id() == *id) else {
            continue;
        };
        let origin = match matches.value_source(id) {
            Some(ValueSource::CommandLine) => {
                Origin::Flag(format!("--{}", arg.get_long().unwrap_or(id)))
            }
            Some(ValueSource::EnvVariable) => Origin::Env(
                arg.get_env()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            _ => continue,
        };
        origins.set_by(settings, origin);
    }
    origins
}

/// The option a failed value belongs to, when it came from an environment variable rather
/// than the command line: clap's error names the flag, so this adds the variable. `argv` is
/// the command line as given.
pub fn env_source_of_error(
    error: &clap::Error,
    command: &clap::Command,
    argv: &[String],
) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let Some(ContextValue::String(invalid)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = invalid.trim_start_matches('-').split([' ', '=']).next()?;
    let flag = format!("--{long}");
    if argv
        .iter()
        .any(|a| a == &flag || a.starts_with(&format!("{flag}=")))
    {
        return None;
    }
    let mut commands = vec![command];
    let mut i = 0;
    while i < commands.len() {
        let current = commands[i];
        commands.extend(current.get_subcommands());
        if let Some(env) = current
            .get_arguments()
            .find(|a| a.get_long() == Some(long))
            .and_then(|a| a.get_env())
            && std::env::var_os(env).is_some()
        {
            return Some(env.to_string_lossy().into_owned());
        }
        i += 1;
    }
    None
}
