//! The mxknock binary: parse the command line, load the configuration, dispatch.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use mxknock::cli::args::{Cli, Command};
use mxknock::cli::{annotate, batch, check, doctor};
use mxknock::config::{ColorMode, Config, Overrides};
use mxknock::doctor::DoctorRunner;
use mxknock::engine::Engine;
use mxknock::engine::net::Net;
use mxknock::exit;
use mxknock::lab::{Lab, LabOptions};
use mxknock::tui::{self, Launch, keymap::Keymap};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Completions { shell }) = cli.command {
        let mut command = <Cli as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut command, "mxknock", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    if let Some(Command::Annotate(args)) = &cli.command {
        return ExitCode::from(annotate::run(args) as u8);
    }
    let config = match load_config(&cli) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("mxknock: {e}");
            return ExitCode::from(exit::USAGE as u8);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mxknock: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE as u8);
        }
    };
    match runtime.block_on(dispatch(cli, config)) {
        Ok(code) => ExitCode::from(code as u8),
        // `mxknock check ... | head -1`: the reader has all it wanted; end quietly, as
        // ripgrep does, rather than report a broken pipe.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mxknock: {e:#}");
            ExitCode::from(exit::FAILURE as u8)
        }
    }
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// defaults < file < environment < flags, then validated. `[keys]` is checked for every
/// command, not only the TUI's, so a mistake in it shows up in the first run of any.
fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.common.config.as_deref())?;
    Overrides::from_env(|name| std::env::var(name).ok())?.apply(&mut config);
    cli.common.overrides().apply(&mut config);
    config.validate()?;
    Keymap::with_overrides(&config.keys).map_err(|e| anyhow::anyhow!("config: {e}"))?;
    Ok(config)
}

async fn dispatch(cli: Cli, config: Config) -> anyhow::Result<i32> {
    let color = use_color(config.ui.color);
    // crossterm leaves colour out whenever NO_COLOR is set; an explicit `--color always` (or
    // `ui.color = "always"`) wins over the environment.
    crossterm::style::force_color_output(color);
    let lab = if cli.common.demo {
        Some(
            Lab::start(LabOptions::demo())
                .await
                .map_err(anyhow::Error::msg)?,
        )
    } else {
        None
    };
    let net = match &lab {
        Some(lab) => lab
            .net(Config::secs(config.dns.timeout))
            .and_then(|net| net.with_proxy(config.smtp.proxy.as_deref())),
        None => Net::from_config(&config),
    }
    .map_err(anyhow::Error::msg)?;
    if let Err(e) = check_reachability_settings(&config, &net, cli.common.demo).await {
        eprintln!("mxknock: {e}");
        return Ok(exit::USAGE);
    }
    match &cli.command {
        Some(Command::Check(args)) => check::run(args, config, net, color).await,
        Some(Command::Batch(args)) => batch::run(args, config, net).await,
        Some(Command::Doctor(args)) => doctor::run(args, config, net, color, cli.common.demo).await,
        Some(Command::Completions { .. } | Command::Annotate(_)) => {
            unreachable!("completions and annotate run before the config is loaded")
        }
        None => run_tui(cli.file.clone(), cli.common.demo, config, net, color).await,
    }
}

/// Settings that would fail every check are refused before any: `--bind` with the lab (which
/// has its own loopback routes), and a `--server` name that does not resolve.
async fn check_reachability_settings(config: &Config, net: &Net, demo: bool) -> Result<(), String> {
    if demo && config.smtp.bind.as_deref().is_some_and(|b| !b.is_empty()) {
        return Err("smtp.bind: has no effect with --demo (the lab has its own routes)".into());
    }
    let Some(server) = config.smtp.server.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    let host = mxknock::config::parse_server(server)?;
    if host.parse::<std::net::IpAddr>().is_err() {
        net.dns
            .host_ips(&host)
            .await
            .map_err(|e| format!("smtp.server: {host}: {e}"))?;
    }
    Ok(())
}

async fn run_tui(
    file: Option<std::path::PathBuf>,
    demo: bool,
    config: Config,
    net: Net,
    color: bool,
) -> anyhow::Result<i32> {
    let keymap = match Keymap::with_overrides(&config.keys) {
        Ok(keymap) => keymap,
        Err(e) => {
            eprintln!("mxknock: config: {e}");
            return Ok(exit::USAGE);
        }
    };
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "mxknock: standard output is not a terminal, so the TUI cannot start; use `mxknock check ADDR...` for scripts"
        );
        return Ok(exit::USAGE);
    }
    let config = std::sync::Arc::new(config);
    let doctor = DoctorRunner::new(config.clone(), net.clone(), demo).ok();
    let (engine, events) = Engine::start(config, net);
    let launch = Launch {
        file,
        demo_list: demo,
        color,
        keymap,
        doctor,
    };
    let ended = tui::run(engine, events, launch).await?;
    Ok(ended.exit_code())
}

/// Colour when asked, or on a terminal with NO_COLOR unset or empty.
fn use_color(mode: ColorMode) -> bool {
    match mode {
        ColorMode::Always => true,
        ColorMode::Never => false,
        ColorMode::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}
