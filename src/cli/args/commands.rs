//! Each command's own arguments: `check`, `batch`, `doctor`, `annotate`, `history`,
//! `config`, and the formats they take.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::config::ColorMode;

use super::*;

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

pub(crate) const DOCTOR_EXIT_CODES: &str = "\
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
