//! `mxknock doctor [DOMAIN...]`: the command around [`crate::doctor`]. Works out what to
//! probe from the arguments, runs the checks, prints them (`--json`: as one object) and
//! returns the report's exit code: 0 when all pass, 4 with warnings, 5 with failures.

use std::io::Write;

use crate::cli::args::DoctorArgs;
use crate::config::Config;
use crate::doctor::{diagnose, human, targets};
use crate::engine::net::Net;
use crate::exit;

/// `mxknock doctor`: runs the checks, prints them, returns the exit code.
pub async fn run(
    args: &DoctorArgs,
    config: Config,
    net: Net,
    color: bool,
    demo: bool,
) -> anyhow::Result<i32> {
    let targets = match targets(&config, &args.domains, demo) {
        Ok(targets) => targets,
        Err(e) => {
            eprintln!("mxknock: doctor: {}", crate::text::terminal_safe(&e));
            return Ok(exit::USAGE);
        }
    };
    let report = diagnose(&config, &net, &targets).await;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        write!(out, "{}", human::render(&report, color))?;
    }
    out.flush()?;
    Ok(report.exit_code)
}
