//! The command line (clap derive): `mxknock [FILE]` (the TUI), `mxknock check ADDR...`,
//! `mxknock batch FILE|-`, `mxknock annotate`, `mxknock doctor [DOMAIN...]`, `mxknock config
//! path|show|template`, `mxknock completions`, `mxknock man`.
//!
//! Options come in groups, each flattened only into the commands it applies to and shown
//! under its own help heading (SMTP, DNS, Engine, Output). Every setting option reads its
//! `MXKNOCK_*` environment variable through clap's `env`, so `--help` lists it; [`origins`]
//! tells validation which flag or variable set a value.
//!
//! - this file: the top (`Cli`, the TUI's own arguments, `Command`),
//! - [`commands`]: each command's own arguments,
//! - [`settings`]: the option groups that are settings, and where each value came from.

mod commands;
mod settings;

pub use commands::*;
pub use settings::*;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
