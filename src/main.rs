//! The mxknock binary: parse the command line, load the configuration, dispatch.

/// mimalloc rather than glibc's malloc: a list answered from the history is mostly small
/// allocations made and freed on several threads at once, where glibc's arena locks showed
/// as a fifth of the run's time (perf); mimalloc's per-thread heaps do not contend.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use mxknock::cli::args::{self, Cli, Command, ConfigAction, OutputArgs};
use mxknock::cli::output::use_color;
use mxknock::cli::{annotate, batch, check, config_command, doctor, history};
use mxknock::config::{Config, Overrides};
use mxknock::doctor::DoctorRunner;
use mxknock::engine::Engine;
use mxknock::engine::net::Net;
use mxknock::exit;
use mxknock::lab::{Lab, LabOptions};
use mxknock::tui::{self, Launch, keymap::Keymap};

fn main() -> ExitCode {
    forget_empty_variables();
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let command = Cli::command();
    let matches = match command.clone().try_get_matches_from(&argv) {
        Ok(matches) => matches,
        Err(e) => return parse_error(e, &command, &argv),
    };
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "mxknock", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Man { dir }) => {
            return finish(config_command::man(dir.as_deref()));
        }
        Some(Command::Annotate(args)) => return ExitCode::from(annotate::run(args) as u8),
        Some(Command::History(args)) => return finish(history::run(args)),
        Some(Command::Config {
            action: ConfigAction::Template,
        }) => return finish(config_command::template()),
        Some(Command::Config {
            action: ConfigAction::Path { file },
        }) => return finish(config_command::path(file.config.as_deref())),
        _ => {}
    }
    let run = RunOptions::of(&cli);
    let (config, origins) = match load_config(&run, &matches, &command) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("mxknock: {e}");
            return ExitCode::from(exit::USAGE as u8);
        }
    };
    if let Some(Command::Config {
        action: ConfigAction::Show { .. },
    }) = &cli.command
    {
        return finish(config_command::show(&config, origins.file()));
    }
    if let Err(e) = mxknock::logging::init(run.output, cli.command.is_none()) {
        eprintln!("mxknock: {e}");
        return ExitCode::from(exit::USAGE as u8);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mxknock: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE as u8);
        }
    };
    let demo = run.demo;
    let mut run_history = if cli.command.is_none()
        || matches!(cli.command, Some(Command::Check(_) | Command::Batch(_)))
    {
        match mxknock::history::RunHistory::open(&config, run.fresh, demo, run.db_given) {
            Ok(history) => history,
            Err(e) => {
                eprintln!("mxknock: {e}");
                return ExitCode::from(exit::USAGE as u8);
            }
        }
    } else {
        mxknock::history::RunHistory::off()
    };
    let engine_history = run_history.take_engine();
    let history_path = run_history.path.clone();
    let result = runtime.block_on(dispatch(cli, config, demo, engine_history, history_path));
    // The engine's tasks go with the runtime; then the recorder has had every result.
    drop(runtime);
    if let Some(problem) = run_history.finish() {
        eprintln!("mxknock: {problem}");
    }
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => failure(&e),
    }
}

/// An empty `MXKNOCK_*` variable counts as unset (`MXKNOCK_HELO= mxknock ...` turns the
/// setting off for one run), as it did before clap read them; clap would take it as a value.
fn forget_empty_variables() {
    let empty: Vec<_> = std::env::vars_os()
        .filter(|(name, value)| value.is_empty() && name.to_string_lossy().starts_with("MXKNOCK_"))
        .map(|(name, _)| name)
        .collect();
    for name in empty {
        // SAFETY: called first thing in main, before any other thread exists.
        unsafe { std::env::remove_var(name) };
    }
}

/// A clap error, with the environment variable named when the bad value came from one
/// (clap's message names only the flag).
fn parse_error(error: clap::Error, command: &clap::Command, argv: &[String]) -> ExitCode {
    use clap::error::ErrorKind;
    let from_env = matches!(
        error.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    )
    .then(|| args::env_source_of_error(&error, command, argv))
    .flatten();
    match from_env {
        Some(variable) => {
            let _ = error.print();
            eprintln!("  note: the value comes from the environment variable {variable}");
            ExitCode::from(exit::USAGE as u8)
        }
        None => error.exit(),
    }
}

/// Exit code of a command that needs no engine.
fn finish(result: anyhow::Result<i32>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => failure(&e),
    }
}

/// An error of mxknock itself: exit 1, except a reader that went away (`| head -1`), which
/// ends quietly with 0, as ripgrep does.
fn failure(error: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(error) {
        return ExitCode::SUCCESS;
    }
    eprintln!("mxknock: {error:#}");
    ExitCode::from(exit::FAILURE as u8)
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// What the command that runs takes from the command line.
struct RunOptions<'a> {
    /// `--config` (or MXKNOCK_CONFIG).
    config_file: Option<&'a std::path::Path>,
    /// The setting options given.
    overrides: Overrides,
    /// `--demo`.
    demo: bool,
    /// `-q`, `-v`, `--log-file`.
    output: &'a OutputArgs,
    /// `--fresh`: reuse nothing from the history.
    fresh: bool,
    /// `--db` (or MXKNOCK_DB) was given.
    db_given: bool,
}

impl<'a> RunOptions<'a> {
    fn of(cli: &'a Cli) -> RunOptions<'a> {
        static NO_OUTPUT: OutputArgs = OutputArgs {
            color: None,
            quiet: false,
            verbose: 0,
            log_file: None,
        };
        let (settings, demo, output) = match &cli.command {
            None => (&cli.tui.settings, cli.tui.lab.demo, &cli.tui.verbosity),
            Some(Command::Check(a)) => (&a.settings, a.lab.demo, &a.verbosity),
            Some(Command::Batch(a)) => (&a.settings, a.lab.demo, &a.verbosity),
            Some(Command::Doctor(a)) => {
                let mut overrides = Overrides::default();
                a.smtp.fill(&mut overrides);
                a.dns.fill(&mut overrides);
                overrides.color = a.verbosity.color;
                return RunOptions {
                    config_file: a.file.config.as_deref(),
                    overrides,
                    demo: a.lab.demo,
                    output: &a.verbosity,
                    fresh: false,
                    db_given: false,
                };
            }
            Some(Command::Config {
                action: ConfigAction::Show { settings, color },
            }) => {
                let mut overrides = settings.overrides();
                overrides.color = *color;
                return RunOptions {
                    config_file: settings.file.config.as_deref(),
                    overrides,
                    demo: false,
                    output: &NO_OUTPUT,
                    fresh: false,
                    db_given: false,
                };
            }
            Some(_) => unreachable!("the other commands run before the config is loaded"),
        };
        let mut overrides = settings.overrides();
        overrides.color = output.color;
        if cli.command.is_none() && cli.tui.no_mouse {
            overrides.mouse = Some(false);
        }
        RunOptions {
            config_file: settings.file.config.as_deref(),
            overrides,
            demo,
            output,
            fresh: settings.history.fresh,
            db_given: settings.history.db.is_some(),
        }
    }
}

/// defaults < file < environment < flags, then validated; an error names where the bad
/// value came from. `[keys]` is checked for every command, not only the TUI's, so a mistake
/// in it shows up in the first run of any.
fn load_config(
    run: &RunOptions,
    matches: &clap::ArgMatches,
    command: &clap::Command,
) -> anyhow::Result<(Config, mxknock::config::origin::Origins)> {
    let (mut config, file) = Config::load(run.config_file)?;
    run.overrides.apply(&mut config);
    let (leaf_matches, leaf_command) = leaf(matches, command);
    let origins = args::origins(leaf_matches, &leaf_command, file);
    config
        .validate()
        .map_err(|e| anyhow::anyhow!(origins.explain(&e)))?;
    Keymap::with_overrides(&config.keys).map_err(|e| {
        let place = origins
            .file()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default();
        anyhow::anyhow!("config{place}: {e}")
    })?;
    Ok((config, origins))
}

/// The matches and definition of the innermost subcommand given (the one that runs).
fn leaf<'m>(
    matches: &'m clap::ArgMatches,
    command: &clap::Command,
) -> (&'m clap::ArgMatches, clap::Command) {
    let mut matches = matches;
    let mut command = command.clone();
    while let Some((name, sub)) = matches.subcommand() {
        let Some(next) = command.find_subcommand(name).cloned() else {
            break;
        };
        matches = sub;
        command = next;
    }
    (matches, command)
}

async fn dispatch(
    cli: Cli,
    config: Config,
    demo: bool,
    history: mxknock::engine::EngineHistory,
    history_path: Option<std::path::PathBuf>,
) -> anyhow::Result<i32> {
    let color = use_color(config.ui.color);
    // crossterm leaves colour out whenever NO_COLOR is set; an explicit `--color always` (or
    // `ui.color = "always"`) wins over the environment.
    crossterm::style::force_color_output(color);
    let lab = if demo {
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
    if let Err(e) = check_reachability_settings(&config, &net, demo).await {
        eprintln!("mxknock: {e}");
        return Ok(exit::USAGE);
    }
    match &cli.command {
        Some(Command::Check(args)) => check::run(args, config, net, color, history).await,
        Some(Command::Batch(args)) => batch::run(args, config, net, history).await,
        Some(Command::Doctor(args)) => doctor::run(args, config, net, color, demo).await,
        Some(_) => unreachable!("the other commands run before the engine starts"),
        None => {
            let list = cli.tui.reading.options();
            let launch = TuiStart {
                file: cli.tui.file.clone(),
                list,
                demo,
                color,
                history_path,
            };
            run_tui(launch, config, net, history).await
        }
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

/// What the TUI starts with, from the command line.
struct TuiStart {
    file: Option<std::path::PathBuf>,
    list: mxknock::input::ListOptions,
    demo: bool,
    color: bool,
    /// The history database the detail pane and key H read, when the history is on.
    history_path: Option<std::path::PathBuf>,
}

async fn run_tui(
    start: TuiStart,
    config: Config,
    net: Net,
    history: mxknock::engine::EngineHistory,
) -> anyhow::Result<i32> {
    let TuiStart {
        file,
        list,
        demo,
        color,
        history_path,
    } = start;
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
    let mouse = config.ui.mouse;
    let config = std::sync::Arc::new(config);
    let doctor = DoctorRunner::new(config.clone(), net.clone(), demo).ok();
    let (engine, events) = Engine::start_with_history(config, net, history);
    let launch = Launch {
        file,
        demo_list: demo,
        color,
        keymap,
        doctor,
        list,
        mouse,
        history: history_path,
    };
    let ended = tui::run(engine, events, launch).await?;
    Ok(ended.exit_code())
}
