//! `mxknock config path|show|template` and `mxknock man`: the commands that print what mxknock
//! is set up with, and its manual, without starting the engine.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::args::Cli;
use crate::config::Config;
use crate::exit;

/// The commented template: `config.example.toml`, which a test proves parses to the defaults.
pub const TEMPLATE: &str = include_str!("../../config.example.toml");

/// `config path`: the file that is read on standard output (so `$EDITOR "$(mxknock config
/// path)"` works), and on standard error whether it is there.
pub fn path(explicit: Option<&Path>) -> anyhow::Result<i32> {
    let Some(path) = explicit
        .map(Path::to_path_buf)
        .or_else(Config::default_path)
    else {
        eprintln!("mxknock: this platform has no config directory; give --config PATH");
        return Ok(exit::USAGE);
    };
    writeln!(std::io::stdout(), "{}", path.display())?;
    if !path.exists() {
        let hint = match explicit {
            Some(_) => "not found (a run with it fails until it exists)",
            None => "not found: the defaults are in effect (`mxknock config template` writes one)",
        };
        eprintln!("mxknock: {hint}");
    }
    Ok(exit::OK)
}

/// `config show`: the configuration in effect as TOML, after the file, the environment and
/// the flags.
pub fn show(config: &Config, file: Option<&Path>) -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    let source = match file {
        Some(path) => format!("defaults < {} < environment < flags", path.display()),
        None => "defaults < environment < flags (no config file)".to_string(),
    };
    writeln!(out, "# The configuration in effect: {source}.")?;
    if config.smtp.helo.is_none() {
        writeln!(
            out,
            "# smtp.helo is unset: EHLO gives this machine's name, {}.",
            config.helo_name()
        )?;
    }
    writeln!(out)?;
    write!(out, "{}", toml::to_string(config)?)?;
    out.flush()?;
    Ok(exit::OK)
}

/// `config template`.
pub fn template() -> anyhow::Result<i32> {
    let mut out = std::io::stdout().lock();
    out.write_all(TEMPLATE.as_bytes())?;
    out.flush()?;
    Ok(exit::OK)
}

/// `man`: the page of `mxknock` on standard output, or every command's page into `dir`.
pub fn man(dir: Option<&Path>) -> anyhow::Result<i32> {
    let command = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(command, dir)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command).render(&mut out)?;
            out.flush()?;
        }
    }
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_to_the_defaults() {
        let parsed = Config::from_toml(TEMPLATE, Path::new("template")).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn the_configuration_shown_reads_back_as_itself() {
        let mut config = Config::default();
        config.smtp.helo = Some("verifier.example".into());
        config.engine.concurrency = 3;
        let text = toml::to_string(&config).unwrap();
        assert_eq!(
            Config::from_toml(&text, Path::new("shown")).unwrap(),
            config
        );
    }
}
