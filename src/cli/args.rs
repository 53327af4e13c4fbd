//! The command line (clap derive): `mxknock [FILE]` (the TUI), `mxknock check ADDR...`,
//! `mxknock batch FILE|-`, `mxknock annotate`, `mxknock doctor [DOMAIN...]`, `mxknock config
//! path|show|template`, `mxknock completions`, `mxknock man`.
//!
//! Options come in groups, each flattened only into the commands it applies to and shown
//! under its own help heading (SMTP, DNS, Engine, Output). Every setting option reads its
//! `MXKNOCK_*` environment variable through clap's `env`, so `--help` lists it; [`origins`]
//! tells validation which flag or variable set a value.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{ColorMode, Overrides, StartTlsMode};
use crate::input::{ListOptions, parse_delimiter};

const EXIT_CODES: &str = "\
Exit codes:
  0  every address is deliverable
  1  mxknock itself failed (I/O, lab start-up ...)
  2  usage or configuration error
  3  at least one address is risky (and none worse)
  4  at least one address is unknown (and none undeliverable)
  5  at least one address is undeliverable
130  stopped by Ctrl-C (SIGINT); 143 by SIGTERM, 129 by SIGHUP (batch: run it again
     with --resume to carry on)

Settings: defaults < config file (`mxknock config path`) < environment (each option's
[env: MXKNOCK_...]) < flags; `mxknock config show` prints the result. NO_COLOR (when not
empty) turns colour off unless --color always.";

/// Tells whether an email address really exists by asking its mail server, and shows the whole
/// SMTP conversation. It never sends DATA: no mail is ever delivered.
#[derive(Debug, Parser)]
#[command(
    name = "mxknock",
    version,
    after_help = EXIT_CODES,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; without a command, the TUI starts.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The TUI's options (`mxknock [OPTIONS] [FILE]`); a command's options come after its name
    /// (`mxknock check --demo ...`).
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// `mxknock [FILE]`: the TUI.
#[derive(Debug, Args)]
pub struct TuiArgs {
    /// A list to load in the TUI (one address per line, or CSV).
    pub file: Option<PathBuf>,
    /// How to read that list (and those opened with `o`).
    #[command(flatten)]
    pub reading: ListArgs,
    /// Leave the mouse to the terminal, so text can be selected and copied (ui.mouse = false).
    #[arg(long, env = "MXKNOCK_NO_MOUSE", help_heading = "Output", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_mouse: bool,
    /// The lab or the real network.
    #[command(flatten)]
    pub lab: LabArg,
    /// Settings.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Colour and logging.
    #[command(flatten)]
    pub verbosity: OutputArgs,
}

/// How to read a list.
#[derive(Clone, Debug, Default, Args)]
pub struct ListArgs {
    /// The list's CSV delimiter: one character, or comma, semicolon, tab, pipe (default:
    /// sniffed from the header row, so `;`- and tab-separated exports load too).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<char>,
}

impl ListArgs {
    /// As loader options.
    pub fn options(&self) -> ListOptions {
        ListOptions {
            delimiter: self.delimiter,
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check addresses and print one line (or JSON object) each.
    Check(CheckArgs),
    /// Check a list (file or standard input) and write one CSV row or JSON line per distinct
    /// address, as each finishes; --resume carries on after an interrupted run.
    Batch(BatchArgs),
    /// Join a batch run's CSV results back onto the list: every row of LIST, in order and with
    /// all its columns, followed by its address's verdict, reason, detail and the other result
    /// columns.
    Annotate(AnnotateArgs),
    /// Check whether this machine is fit to verify: outbound port 25, the IP the servers see,
    /// its reverse DNS, the HELO name, DNS blocklists, MAIL FROM and the sender's SPF. Each
    /// check says pass, warn or fail with a one-line fix.
    #[command(after_help = DOCTOR_EXIT_CODES)]
    Doctor(DoctorArgs),
    /// Past checks of an address (or of every address at @DOMAIN), newest first, with the
    /// verdict changes marked; `history import FILE.jsonl` loads a batch output.
    History(HistoryCommandArgs),
    /// The configuration: where it is read from, what is in effect, a commented template.
    Config {
        /// What to show.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a shell completion script, e.g. `mxknock completions bash > ~/.local/share/bash-completion/completions/mxknock`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `mxknock man > ~/.local/share/man/man1/mxknock.1`.
    Man {
        /// Write one page per command (mxknock.1, mxknock-check.1, ...) into this folder
        /// instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `mxknock history`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryCommandArgs {
    /// `import`.
    #[command(subcommand)]
    pub action: Option<HistoryAction>,
    /// An address, or @domain for every address at that domain.
    #[arg(value_name = "ADDR|@DOMAIN")]
    pub target: Option<String>,
    /// One JSON object per check instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show each listed check's stored conversation under it.
    #[arg(long)]
    pub transcript: bool,
    /// At most this many checks.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Which database.
    #[command(flatten)]
    pub db: HistoryDbArgs,
    /// Colour.
    #[arg(long, env = "MXKNOCK_COLOR", value_enum, ignore_case = true)]
    pub color: Option<ColorMode>,
}

/// `mxknock history import`
#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// Load batch outputs (JSON lines, as `batch --format jsonl` writes) into the history:
    /// merges what other machines checked (`--shard`). A check already there is skipped.
    Import {
        /// The files.
        #[arg(value_name = "FILE.jsonl", required = true)]
        files: Vec<PathBuf>,
        /// Which database.
        #[command(flatten)]
        db: HistoryDbArgs,
    },
}

/// Which history database: `--db`, else the config's `history.path`, else the default.
#[derive(Clone, Debug, Default, Args)]
pub struct HistoryDbArgs {
    /// The config file (for history.path).
    #[command(flatten)]
    pub file: ConfigFileArg,
    /// The history database.
    #[arg(long, env = "MXKNOCK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
}

/// `mxknock config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the path of the config file that is read, and whether it exists.
    Path {
        /// The config file.
        #[command(flatten)]
        file: ConfigFileArg,
    },
    /// Print the configuration in effect (defaults < file < environment < flags) as TOML.
    Show {
        /// Settings, as for `check`.
        #[command(flatten)]
        settings: Box<SettingsArgs>,
        /// Colour.
        #[arg(long, env = "MXKNOCK_COLOR", value_enum, help_heading = "Output")]
        color: Option<ColorMode>,
    },
    /// Print a commented config file with every setting at its default.
    Template,
}

/// `mxknock check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The addresses to check; `-` reads them from standard input (one per line, or CSV
    /// with an email column), as `batch -` does.
    #[arg(required = true, value_name = "ADDR|-")]
    pub addresses: Vec<String>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show the SMTP conversation (swaks style: -> sent, <- reply, <** refusal, === info,
    /// ~> <~ inside TLS) with response times; with --json, include it in each object.
    #[arg(long)]
    pub transcript: bool,
    /// How to read standard input (with `-`).
    #[command(flatten)]
    pub reading: ListArgs,
    /// The lab or the real network.
    #[command(flatten)]
    pub lab: LabArg,
    /// Settings.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Quiet, verbose, colour.
    #[command(flatten)]
    pub verbosity: OutputArgs,
}

/// `mxknock batch`
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The list: a file (one address per line with # comments, or CSV when it ends in .csv),
    /// or - for standard input (CSV when its first line is a header naming an email column).
    #[arg(value_name = "FILE|-")]
    pub input: PathBuf,
    /// Write the results here instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Output format (default: from the --output extension, .csv or .jsonl/.json/.ndjson;
    /// otherwise csv).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<BatchFormat>,
    /// Carry on after an interrupted run: skip the addresses already in --output (dropping an
    /// unfinished last row) and append the rest.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Check only the addresses whose domain falls in shard K of N (K from 0, as
    /// JOB_COMPLETION_INDEX): N machines with --shard 0/N .. N-1/N share a list, and no two
    /// of them talk to one domain.
    #[arg(long, value_name = "K/N", value_parser = crate::input::parse_shard)]
    pub shard: Option<crate::input::Shard>,
    /// How to read the list.
    #[command(flatten)]
    pub reading: ListArgs,
    /// The lab or the real network.
    #[command(flatten)]
    pub lab: LabArg,
    /// Settings.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Quiet, verbose, colour.
    #[command(flatten)]
    pub verbosity: OutputArgs,
}

/// `mxknock doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Probe the first MX host of these domains (default: engine.probe_domains, the large
    /// providers; with --server, that server).
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// The lab or the real network.
    #[command(flatten)]
    pub lab: LabArg,
    /// The config file.
    #[command(flatten)]
    pub file: ConfigFileArg,
    /// How we speak SMTP.
    #[command(flatten)]
    pub smtp: SmtpArgs,
    /// How we resolve names.
    #[command(flatten)]
    pub dns: DnsArgs,
    /// Verbose, colour.
    #[command(flatten)]
    pub verbosity: OutputArgs,
}

const DOCTOR_EXIT_CODES: &str = "\
Exit codes:
  0  every check passed (or was skipped)
  2  usage or configuration error
  4  at least one warning (and no failure)
  5  at least one failure";

/// `mxknock annotate`
#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// The list that was checked: CSV when its name ends in .csv, else one address per line.
    #[arg(value_name = "LIST")]
    pub list: PathBuf,
    /// The CSV output of `mxknock batch LIST --output RESULTS`.
    #[arg(value_name = "RESULTS")]
    pub results: PathBuf,
    /// Write the annotated list here instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// How to read the list (the annotated list is written with the same delimiter).
    #[command(flatten)]
    pub reading: ListArgs,
}

/// The output formats of `batch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BatchFormat {
    /// Comma-separated values with a header row (the columns of the TUI's export).
    Csv,
    /// One JSON object per line (the full report, as `check --json`).
    #[value(alias = "ndjson")]
    Jsonl,
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_setting_option_exists_in_the_tui_and_names_real_config_keys() {
        let command = Cli::command();
        for (id, settings) in SETTING_OPTIONS {
            assert!(
                command.get_arguments().any(|a| a.get_id() == *id),
                "no option {id}"
            );
            for setting in *settings {
                let (section, key) = setting.split_once('.').unwrap();
                let text = format!("[{section}]\n{key} = 0\n");
                let parsed = crate::config::Config::from_toml(&text, std::path::Path::new("t"));
                if let Err(e) = parsed {
                    assert!(!e.to_string().contains("unknown field"), "{setting}: {e}");
                }
            }
        }
    }

    #[test]
    fn commands_list_only_the_options_that_apply_to_them() {
        let command = Cli::command();
        let longs = |name: &str| -> Vec<String> {
            command
                .find_subcommand(name)
                .unwrap()
                .get_arguments()
                .filter_map(|a| a.get_long().map(str::to_string))
                .collect()
        };
        let annotate = longs("annotate");
        assert!(
            !annotate
                .iter()
                .any(|l| l == "helo" || l == "concurrency" || l == "demo"),
            "{annotate:?}"
        );
        assert!(longs("completions").is_empty());
        assert_eq!(longs("man"), ["dir"]);
        let doctor = longs("doctor");
        assert!(
            doctor.iter().any(|l| l == "helo") && !doctor.iter().any(|l| l == "concurrency"),
            "{doctor:?}"
        );
        let check = longs("check");
        for l in [
            "helo",
            "concurrency",
            "dns",
            "demo",
            "color",
            "quiet",
            "verbose",
        ] {
            assert!(check.iter().any(|c| c == l), "check lacks --{l}");
        }
    }
}
