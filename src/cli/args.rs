//! The command line (clap derive): `mxknock [FILE]`, `mxknock check ADDR...`,
//! `mxknock batch FILE|-`, `mxknock doctor [DOMAIN...]`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{ColorMode, Overrides, StartTlsMode};

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

Environment: MXKNOCK_HELO, MXKNOCK_FROM, MXKNOCK_DNS, MXKNOCK_SMTP_PORT, MXKNOCK_CONCURRENCY,
MXKNOCK_TIMEOUT, MXKNOCK_STARTTLS, MXKNOCK_COLOR, MXKNOCK_PER_HOST, MXKNOCK_CONNECT_INTERVAL,
MXKNOCK_GREYLIST_WAIT, MXKNOCK_PROXY, MXKNOCK_SERVER, MXKNOCK_BIND override the config file;
flags override them.
NO_COLOR (when not empty) turns colour off.";

/// Tells whether an email address really exists by asking its mail server, and shows the whole
/// SMTP conversation. It never sends DATA: no mail is ever delivered.
#[derive(Debug, Parser)]
#[command(name = "mxknock", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub common: CommonArgs,
    /// What to do; without a command, the TUI starts.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A list to load in the TUI (one address per line, or CSV).
    pub file: Option<PathBuf>,
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
    /// Print a shell completion script, e.g. `mxknock completions bash > ~/.local/share/bash-completion/completions/mxknock`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
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

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Config file (default: the platform config dir's mxknock/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Run against the embedded lab (no network needed).
    #[arg(long, global = true)]
    pub demo: bool,
    /// MAIL FROM address; empty for the null sender <>.
    #[arg(long, global = true, value_name = "ADDR")]
    pub from: Option<String>,
    /// EHLO name (default: this machine's host name).
    #[arg(long, global = true, value_name = "NAME")]
    pub helo: Option<String>,
    /// DNS servers as IP or IP:PORT (repeat or separate by commas).
    #[arg(long, global = true, value_name = "HOST:PORT", value_delimiter = ',')]
    pub dns: Vec<String>,
    /// SMTP port of the mail servers (25 unless testing).
    #[arg(long, global = true, value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// How many addresses to check at once.
    #[arg(long, global = true, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Seconds to wait for DNS, connect, greeting and every reply.
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// When to use STARTTLS.
    #[arg(long, global = true, value_enum)]
    pub starttls: Option<StartTlsMode>,
    /// Do not probe a random address to detect catch-all domains.
    #[arg(long, global = true)]
    pub no_catch_all: bool,
    /// When to colour output.
    #[arg(long, global = true, value_enum)]
    pub color: Option<ColorMode>,
    /// How many SMTP sessions may be open at once to one MX host.
    #[arg(long, global = true, value_name = "N")]
    pub per_host: Option<usize>,
    /// Seconds to wait between two connections to the same MX host.
    #[arg(long, global = true, value_name = "SECS")]
    pub connect_interval: Option<f64>,
    /// Longest total wait for greylisting re-checks, in seconds (0: no re-check).
    #[arg(long, global = true, value_name = "SECS")]
    pub greylist_wait: Option<f64>,
    /// Reach mail servers through a SOCKS5 proxy: socks5://[user:password@]host:port.
    #[arg(long, global = true, value_name = "URL")]
    pub proxy: Option<String>,
    /// Talk to this mail server (host name or IP) instead of each domain's MX hosts, as swaks
    /// --server does; the port is --smtp-port.
    #[arg(long, global = true, value_name = "HOST")]
    pub server: Option<String>,
    /// Connect from this local IP address (on a machine with several; not with --proxy).
    #[arg(long, global = true, value_name = "IP")]
    pub bind: Option<String>,
}

impl CommonArgs {
    /// The flags as config overrides.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            helo: self.helo.clone(),
            from: self.from.clone(),
            dns: (!self.dns.is_empty()).then(|| self.dns.clone()),
            port: self.smtp_port,
            concurrency: self.concurrency,
            timeout: self.timeout,
            starttls: self.starttls,
            catch_all_probe: self.no_catch_all.then_some(false),
            color: self.color,
            per_host: self.per_host,
            connect_interval: self.connect_interval,
            greylist_max_wait: self.greylist_wait,
            proxy: self.proxy.clone(),
            server: self.server.clone(),
            bind: self.bind.clone(),
        }
    }
}
