//! `-v` / `-vv` / `-vvv`: what the engine decides, logged with `tracing` to standard error or
//! to `--log-file`, never onto the TUI's screen. `MXKNOCK_LOG` (a tracing-subscriber filter
//! such as `mxknock=debug,hickory_proto=debug`) replaces the level the flags pick.

use std::io::IsTerminal;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::cli::args::OutputArgs;

/// The filter for a number of `-v`: nothing below warnings without one.
pub fn filter_for(verbose: u8) -> &'static str {
    match verbose {
        0 => "mxknock=warn",
        1 => "mxknock=info",
        2 => "mxknock=debug",
        _ => "mxknock=trace,hickory_proto=debug,hickory_resolver=debug",
    }
}

/// Starts logging as `output` asks. `tui`: the screen is the terminal's, so without
/// `--log-file` logs go to standard error only when it is redirected (`2>FILE`).
pub fn init(output: &OutputArgs, tui: bool) -> Result<(), String> {
    let wanted = output.verbose > 0 || output.log_file.is_some();
    let overridden = std::env::var("MXKNOCK_LOG").ok().filter(|v| !v.is_empty());
    if output.quiet || !(wanted || overridden.is_some()) {
        return Ok(());
    }
    let filter = match overridden {
        Some(text) => EnvFilter::try_new(&text)
            .map_err(|e| format!("environment variable MXKNOCK_LOG={text:?}: {e}"))?,
        None => EnvFilter::new(filter_for(output.verbose.max(1))),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match &output.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("--log-file {}: {e}", path.display()))?;
            builder
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .init();
        }
        None => {
            let stderr = std::io::stderr();
            if tui && stderr.is_terminal() {
                eprintln!(
                    "mxknock: -v in the TUI logs only to --log-file PATH (or 2>FILE); logging is off"
                );
                return Ok(());
            }
            let ansi =
                stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            builder.with_ansi(ansi).with_writer(std::io::stderr).init();
        }
    }
    Ok(())
}
