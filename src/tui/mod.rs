//! The terminal front end: three live panes (list, detail, transcript) over the engine.
//!
//! Input (crossterm's EventStream), engine events, a frame tick and the ending signals meet in
//! one `select!`. Keys (the answers to a yes/no question too) and mouse events become actions
//! through the keymap; `App::update` returns effects the loop carries out. Before each frame
//! the loop tells the app its viewport ([`fit_viewport`]); it writes no App field itself. Pasted text (bracketed paste) goes to `App::paste`, never through the keymap.
//! Engine events are drained in batches and the screen is drawn at most ~30 times a second,
//! only when something changed. The loop is generic over the ratatui backend and the input
//! stream, so tests drive it with a `TestBackend` and scripted keys. The doctor (key D) runs
//! as a background task whose report the loop hands to `App::doctor_finished`.

pub mod action;
pub mod app;
pub mod keymap;
pub mod prompt;
pub mod rows;
pub mod terminal;
pub mod theme;
pub mod view;

use std::future::Future;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::sync::mpsc;

use crate::doctor::{DoctorReport, DoctorRunner};
use crate::engine::judge::verdict::Report;
use crate::engine::{EngineEvent, EngineHandle};
use crate::input;
use action::Action;
use app::{App, Effect, Mode};
use keymap::{Keymap, Question};
use theme::Theme;

/// How often the screen may be redrawn.
pub const FRAME: Duration = Duration::from_millis(33);

/// How the loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The user quit (or the input ended).
    Quit,
    /// This signal arrived.
    Signal(i32),
}

impl Ended {
    /// The process exit code: 0 after a quit, 128 + the signal's number after a signal.
    pub fn exit_code(self) -> i32 {
        match self {
            Ended::Quit => crate::exit::OK,
            Ended::Signal(number) => 128 + number,
        }
    }
}

/// What the TUI starts with.
pub struct Launch {
    /// A list file to load at once.
    pub file: Option<PathBuf>,
    /// Load the demo list when no file is given.
    pub demo_list: bool,
    /// Colour or monochrome.
    pub color: bool,
    /// Key bindings.
    pub keymap: Keymap,
    /// Runs the doctor (key D) with the run's configuration and network; None: not here.
    pub doctor: Option<DoctorRunner>,
    /// How to read lists (`--delimiter`).
    pub list: crate::input::ListOptions,
    /// Capture the mouse (`ui.mouse`; `--no-mouse` leaves it to the terminal).
    pub mouse: bool,
    /// The history database, read for the selected address's past (None: no history).
    pub history: Option<PathBuf>,
}

/// Runs the TUI on the real terminal until the user quits or SIGTERM, SIGHUP or SIGINT
/// arrives; the terminal is restored either way.
pub async fn run(
    engine: EngineHandle,
    events: mpsc::Receiver<EngineEvent>,
    launch: Launch,
) -> anyhow::Result<Ended> {
    if !io::stdout().is_terminal() {
        anyhow::bail!(
            "standard output is not a terminal, so the TUI cannot start; use `mxknock check ADDR...` or `mxknock batch FILE` for scripts"
        );
    }
    let mut app = App::new(launch.keymap);
    app.list_options = launch.list;
    app.set_server(engine.config().smtp.server.clone());
    let theme = if launch.color {
        Theme::color()
    } else {
        Theme::mono()
    };
    let mut initial = Vec::new();
    if let Some(path) = &launch.file {
        initial = load_into(&mut app, path);
    } else if launch.demo_list {
        let list = input::parse_text(include_str!("../../assets/demo_addresses.txt"));
        initial = app.add_addresses(list.entries.into_iter().map(|e| (e.address, e.count)));
        app.info("demo: every address is served by the embedded lab on loopback");
    }
    // Caught before the terminal turns raw, so no moment is left where a signal kills us raw.
    let signals = crate::signal::Signals::install()?;
    let (mut terminal, _restore) = terminal::enter(launch.mouse)?;
    carry_out(&mut app, &engine, initial);
    let input = crossterm::event::EventStream::new();
    let stop = signals.recv();
    let history = launch.history.as_deref().and_then(open_history_reader);
    app.set_history_available(history.is_some());
    let parts = LoopParts {
        engine: &engine,
        theme: &theme,
        doctor: launch.doctor,
        history,
    };
    run_loop_with(&mut terminal, &mut app, parts, events, input, stop).await
}

/// The event loop until the user quits, generic over backend and input so tests can drive it.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    engine: &EngineHandle,
    events: mpsc::Receiver<EngineEvent>,
    input: S,
    theme: &Theme,
) -> anyhow::Result<Ended>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let never = std::future::pending();
    run_loop_until(terminal, app, engine, events, input, theme, never).await
}

/// The event loop until the user quits or `stop` yields a signal number.
pub async fn run_loop_until<B, S, F>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    engine: &EngineHandle,
    events: mpsc::Receiver<EngineEvent>,
    input: S,
    theme: &Theme,
    stop: F,
) -> anyhow::Result<Ended>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
    F: Future<Output = i32>,
{
    let parts = LoopParts {
        engine,
        theme,
        doctor: None,
        history: None,
    };
    run_loop_with(terminal, app, parts, events, input, stop).await
}

/// What the loop works with besides the terminal, the app and its inputs.
pub struct LoopParts<'a> {
    /// The engine checks are submitted to.
    pub engine: &'a EngineHandle,
    /// The styles.
    pub theme: &'a Theme,
    /// Runs the doctor when key D asks; None: the doctor is not available.
    pub doctor: Option<DoctorRunner>,
    /// Where the app's history reads are answered from (see [`serve_history_reads`]); the app
    /// must have been told [`App::set_history_available`].
    pub history: Option<crate::history::History>,
}

/// The event loop with a doctor, until the user quits or `stop` yields a signal number.
pub async fn run_loop_with<B, S, F>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    parts: LoopParts<'_>,
    mut events: mpsc::Receiver<EngineEvent>,
    mut input: S,
    stop: F,
) -> anyhow::Result<Ended>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
    F: Future<Output = i32>,
{
    let LoopParts {
        engine,
        theme,
        doctor,
        history,
    } = parts;
    let mut doctor_run: Option<tokio::task::JoinHandle<DoctorReport>> = None;
    let mut stop = std::pin::pin!(stop);
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut batch = Vec::with_capacity(1024);
    let mut dirty = true;
    let mut engine_open = true;
    let mut last_clock_refresh = Instant::now();
    draw(terminal, app, engine, theme, history.as_ref())?;
    while !app.quit {
        tokio::select! {
            number = &mut stop => return Ok(Ended::Signal(number)),
            maybe = input.next() => match maybe {
                Some(Ok(event)) => {
                    let effects = handle_input(app, event);
                    let effects = start_doctor(app, doctor.as_ref(), &mut doctor_run, effects);
                    carry_out(app, engine, effects);
                    draw(terminal, app, engine, theme, history.as_ref())?;
                    dirty = false;
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            received = events.recv_many(&mut batch, 1024), if engine_open => {
                if received == 0 {
                    engine_open = false;
                }
                for event in batch.drain(..) {
                    app.apply(event);
                }
                dirty = true;
            },
            finished = async { doctor_run.as_mut().expect("guarded by is_some").await },
                if doctor_run.is_some() =>
            {
                doctor_run = None;
                match finished {
                    Ok(report) => app.doctor_finished(report),
                    Err(e) => app.doctor_unavailable(format!("the doctor failed: {e}")),
                }
                dirty = true;
            },
            _ = tick.tick() => {
                if app.pending() > 0 && last_clock_refresh.elapsed() >= Duration::from_millis(500) {
                    dirty = true;
                    last_clock_refresh = Instant::now();
                }
                if history.is_some() && app.history_read_due(Instant::now()) {
                    dirty = true;
                }
                if dirty {
                    draw(terminal, app, engine, theme, history.as_ref())?;
                    dirty = false;
                }
            },
        }
    }
    Ok(Ended::Quit)
}

/// Takes the doctor's effects out of `effects` and starts its run (one at a time); returns
/// the rest.
fn start_doctor(
    app: &mut App,
    doctor: Option<&DoctorRunner>,
    running: &mut Option<tokio::task::JoinHandle<DoctorReport>>,
    effects: Vec<Effect>,
) -> Vec<Effect> {
    let (runs, rest): (Vec<Effect>, Vec<Effect>) = effects
        .into_iter()
        .partition(|e| matches!(e, Effect::RunDoctor));
    if !runs.is_empty() && running.is_none() {
        match doctor {
            Some(runner) => *running = Some(runner.spawn()),
            None => app.doctor_unavailable("the doctor is not available here"),
        }
    }
    rest
}

/// Tells the app the clock, the engine's counters, its viewport and what it asked of the
/// history, then draws.
fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    engine: &EngineHandle,
    theme: &Theme,
    history: Option<&crate::history::History>,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    app.tick(Instant::now(), engine.stats().sessions_open);
    let (refused, hosts) = engine.hosts_refused_us();
    if refused != app.refused_us.len() {
        app.set_refused_us(hosts());
    }
    let size = terminal.size()?;
    fit_viewport(app, Rect::new(0, 0, size.width, size.height));
    if let Some(history) = history {
        serve_history_reads(app, history);
    }
    terminal.draw(|frame| view::draw(frame, app, theme))?;
    Ok(())
}

/// The history database opened for the TUI's reads, or None (said in the log) when it cannot
/// be: the TUI then shows no past, and runs on.
pub fn open_history_reader(path: &Path) -> Option<crate::history::History> {
    match crate::history::History::open(path) {
        Ok(opened) => Some(opened.history),
        Err(e) => {
            tracing::warn!("the TUI reads no history: {e}");
            None
        }
    }
}

/// Answers what the app wants read from the history (the selected address's past, a stored
/// transcript): a couple of indexed queries a frame at most.
pub fn serve_history_reads(app: &mut App, history: &crate::history::History) {
    use app::{HistoryRead, PAST_SHOWN, PastCheck};
    for _ in 0..3 {
        match app.history_wanted() {
            Some(HistoryRead::Past(address)) => {
                let key = crate::history::store::lookup_key(&address);
                let past = history
                    .past(&key, PAST_SHOWN)
                    .map(|checks| checks.iter().map(PastCheck::of).collect())
                    .map_err(|e| e.to_string());
                app.past_loaded(&address, past, crate::history::now_ms());
            }
            Some(HistoryRead::Transcript(id)) => {
                let text = history.transcript(id).map_err(|e| e.to_string());
                app.stored_transcript_loaded(id, text);
            }
            None => return,
        }
    }
}

/// Lays `screen` out for `app` and tells the app the result (its pane sizes for paging and
/// the mouse, the view brought up to date, how far the detail can scroll): the one viewport
/// call, made before every frame by the loop and by render tests alike.
pub fn fit_viewport(app: &mut App, screen: Rect) {
    let areas = view::layout(screen, app);
    app.set_viewport(areas.viewport(screen), view::detail::max_offset);
}

/// Turns one terminal event into state changes and effects.
pub fn handle_input(app: &mut App, event: Event) -> Vec<Effect> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => handle_key(app, &key),
        Event::Paste(text) => app.paste(&text),
        // The wheel and a click act on the pane under the pointer (as last drawn).
        Event::Mouse(mouse) => {
            let (column, row) = (mouse.column, mouse.row);
            match mouse.kind {
                MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                    let down = mouse.kind == MouseEventKind::ScrollDown;
                    app.update(Action::Wheel { column, row, down })
                }
                MouseEventKind::Down(MouseButton::Left) => {
                    app.update(Action::Click { column, row })
                }
                _ => Vec::new(),
            }
        }
        // The draw that follows every input event lays the new size out (`fit_viewport`).
        Event::Resize(..) => Vec::new(),
        _ => Vec::new(),
    }
}

/// A key, read by what is open: the prompt, the doctor's window, the help screen, a question
/// (through the keymap's answers), or the panes (through the keymap).
fn handle_key(app: &mut App, key: &KeyEvent) -> Vec<Effect> {
    match &app.mode {
        Mode::Prompt(_) => app.prompt_key(key),
        Mode::Doctor => {
            match key.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('D') | KeyCode::Enter => {
                    app.close_doctor()
                }
                KeyCode::Char('r') => return app.run_doctor(),
                KeyCode::Char('j') | KeyCode::Down => app.scroll_doctor(1),
                KeyCode::Char('k') | KeyCode::Up => app.scroll_doctor(-1),
                KeyCode::PageDown => app.scroll_doctor(10),
                KeyCode::PageUp => app.scroll_doctor(-10),
                KeyCode::Char('c')
                    if key
                        .modifiers
                        .contains(crossterm::event::KeyModifiers::CONTROL) =>
                {
                    return app.update(Action::ForceQuit);
                }
                _ => {}
            }
            Vec::new()
        }
        Mode::Help => {
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter
            ) {
                app.close_help();
            }
            Vec::new()
        }
        Mode::ConfirmOverwrite(_) => answer(app, Question::Overwrite, key),
        Mode::ConfirmQuit => answer(app, Question::Quit, key),
        Mode::Normal => match app.keymap.action(key) {
            Some(action) => app.update(action),
            None => Vec::new(),
        },
    }
}

/// A key at an open question: its answer, through the keymap, if it is one.
fn answer(app: &mut App, question: Question, key: &KeyEvent) -> Vec<Effect> {
    match app.keymap.answer(question, key) {
        Some(action) => app.update(action),
        None => Vec::new(),
    }
}

/// Carries out effects against the engine and the file system.
pub fn carry_out(app: &mut App, engine: &EngineHandle, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Check {
                row,
                address,
                fresh,
            } => {
                let job = if fresh {
                    engine.submit_fresh(address)
                } else {
                    engine.submit(address)
                };
                app.bind_job(row, job);
            }
            Effect::Load(path) => {
                let more = load_into(app, &path);
                carry_out(app, engine, more);
            }
            Effect::Export {
                ref path,
                overwrite: false,
            }
            | Effect::SaveTranscript {
                ref path,
                overwrite: false,
                ..
            } if path.exists() => app.ask_overwrite(effect.clone()),
            Effect::Export { path, .. } => export(app, &path),
            Effect::SaveTranscript { job, path, .. } => save_transcript(app, job, &path),
            Effect::SetPaused(paused) => engine.set_paused(paused),
            // The loop starts the doctor (`run_loop_with`); elsewhere there is none to start.
            Effect::RunDoctor => app.doctor_unavailable("the doctor is not available here"),
            Effect::Quit => app.leave(),
        }
    }
}

fn load_into(app: &mut App, path: &Path) -> Vec<Effect> {
    match input::load_file(path, app.list_options) {
        Ok(list) => {
            let added = list.entries.len();
            let effects = app.add_addresses(list.entries.into_iter().map(|e| (e.address, e.count)));
            let mut message = format!("{}: {}", path.display(), count(added, "address"));
            if list.duplicates > 0 {
                message.push_str(&format!(
                    ", {} collapsed",
                    count(list.duplicates, "duplicate")
                ));
            }
            if list.bad_rows.is_empty() {
                app.info(message);
            } else {
                let first: Vec<String> = list
                    .bad_rows
                    .iter()
                    .take(3)
                    .map(|b| format!("line {}: {}", b.line, b.message))
                    .collect();
                app.error(format!(
                    "{message}; {} skipped ({})",
                    count(list.bad_rows.len(), "bad row"),
                    first.join("; ")
                ));
            }
            effects
        }
        Err(e) => {
            app.error(e.to_string());
            Vec::new()
        }
    }
}

fn export(app: &mut App, path: &Path) {
    let shown = app.view_len();
    let reports: Vec<Report> = (0..shown)
        .filter_map(|position| app.row_at(position))
        .filter_map(|row| app.report_for_export(row))
        .collect();
    let unfinished = shown - reports.len();
    match crate::export::write_reports(path, &reports) {
        Ok(n) if unfinished > 0 => app.info(format!(
            "exported {} to {} ({unfinished} unfinished left out)",
            count(n, "address"),
            path.display()
        )),
        Ok(n) => app.info(format!(
            "exported {} to {}",
            count(n, "address"),
            path.display()
        )),
        Err(e) => app.error(e),
    }
}

fn save_transcript(app: &mut App, job: crate::engine::JobId, path: &Path) {
    let Some(detail) = app.detail(job) else {
        app.error("that transcript is no longer kept");
        return;
    };
    let text: String = detail
        .lines
        .iter()
        .map(|line| format!("{}\n", line.text_form()))
        .collect();
    match std::fs::write(path, text) {
        Ok(()) => app.info(format!("transcript saved to {}", path.display())),
        Err(e) => app.error(format!("cannot write {}: {e}", path.display())),
    }
}

/// "1 address", "3 addresses", "2 bad rows": a count with its noun.
pub fn count(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('s')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        _ => format!("{n} {noun}s"),
    }
}
