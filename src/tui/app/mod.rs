//! The TUI's state. `update(Action)`, `paste(text)` and `apply(EngineEvent)` are pure state
//! changes; `update` and `paste` return the [`Effect`]s (start checks, export, quit ...) that the
//! loop carries out. Rendering only reads an `App`.
//!
//! This file holds the `App` itself and the two dispatchers; each job is in its own file:
//! - `jobs`: rows and the checks behind them (add, bind, re-check, pause),
//! - `details`: the details cache (reports and transcripts of recent jobs),
//! - `past`: what the history knows of the selected address (its last checks, their stored
//!   transcripts), read by the loop when the app asks,
//! - `progress`: counts, rate, ETA, pending,
//! - `navigation`: the shown rows, selection, scroll, paging, focus, filter and sort,
//! - `search`: incremental search and n / N,
//! - `viewport`: the pane sizes the loop reports, and what the mouse hits,
//! - `prompts`: the input line; `paste`: pasted text,
//! - `confirm`: the quit and overwrite questions, and leaving,
//! - `doctor`: the doctor's window; `help`: the help screen,
//! - `messages`: the banner and the run-wide announcements in it.

mod confirm;
mod details;
mod doctor;
mod help;
mod jobs;
mod messages;
mod navigation;
mod past;
mod paste;
mod progress;
mod prompts;
mod search;
mod viewport;

use std::path::PathBuf;
use std::time::Instant;

pub use details::{DETAIL_CAPACITY, JobDetail, MAX_TRANSCRIPT_LINES};
pub use doctor::DoctorView;
pub use messages::Banner;
pub use past::{HistoryRead, PAST_SHOWN, PastCheck, PastView, StoredTranscript};
pub use viewport::Viewport;

use super::action::Action;
use super::keymap::Keymap;
use super::prompt::{Prompt, PromptKind};
use super::rows::{Filter, ProviderIds, Row, Sort};
use crate::engine::event::{EngineEvent, EventKind, JobId};
use navigation::ViewChanges;

/// Which pane has the focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The address list.
    List,
    /// The detail of the selected address.
    Detail,
    /// The transcript of the selected address.
    Transcript,
}

/// What the keyboard is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Moving around the panes.
    Normal,
    /// Typing into the input line.
    Prompt(Prompt),
    /// The help screen.
    Help,
    /// "Checks are running; quit?"
    ConfirmQuit,
    /// "FILE exists; overwrite?" with the write to do on yes.
    ConfirmOverwrite(Box<Effect>),
    /// The doctor's report (or its progress) over the panes.
    Doctor,
}

/// Something the loop must do for the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Start checking the address of this row.
    Check {
        row: usize,
        address: String,
        /// Ask the server even if the history has a recent result (a re-check).
        fresh: bool,
    },
    /// Load a list file.
    Load(PathBuf),
    /// Write the shown rows to a file (CSV or JSONL by extension); an existing file only
    /// when `overwrite`.
    Export { path: PathBuf, overwrite: bool },
    /// Write the selected job's transcript to a file; an existing file only when `overwrite`.
    SaveTranscript {
        job: JobId,
        path: PathBuf,
        overwrite: bool,
    },
    /// Pause or resume starting new checks.
    SetPaused(bool),
    /// Run the doctor (`mxknock doctor`) in the background.
    RunDoctor,
    /// Leave.
    Quit,
}

/// The application state.
pub struct App {
    // Rows and their checks (jobs.rs).
    /// Every address, in load order.
    pub rows: Vec<Row>,
    /// Which job belongs to which row.
    job_rows: jobs::JobRows,
    /// The `--server` every check asks instead of the MX hosts, if one was given.
    pub server: Option<String>,
    /// New checks are held.
    pub paused: bool,

    // The details cache (details.rs).
    /// Reports and transcripts of recent jobs.
    details: details::DetailCache,
    /// The selected address's stored checks and conversations (past.rs).
    pub past: past::PastView,

    // Progress (progress.rs).
    /// Counts per verdict, in `Verdict::ALL` order.
    pub counts: [usize; 4],
    /// Finished checks.
    pub done: usize,
    /// Checks in flight (started, not finished).
    pub active: usize,
    /// When the latest greylisting re-check announced so far is due.
    pub last_recheck_at: Option<Instant>,
    /// SMTP connections open now (from the engine's counters, told by the loop each frame).
    pub open_sessions: u64,
    /// When the first check of this run started.
    pub started: Option<Instant>,
    /// When the last check finished.
    pub last_finished: Option<Instant>,
    /// Now, as of the last tick (render reads it; it never calls the clock).
    pub now: Instant,

    // Navigation and search (navigation.rs, search.rs).
    /// Shown rows (indices into `rows`), or `None` for "all rows in input order".
    view: Option<Vec<u32>>,
    /// The view must be rebuilt from all rows (filter, sort or rows changed).
    view_dirty: bool,
    /// Rows whose check finished since the view was last brought up to date (see
    /// [`navigation`]: merged into an input-order view instead of a rebuild).
    view_changes: ViewChanges,
    /// The mail providers of the finished rows, interned (rows keep an index).
    pub providers: ProviderIds,
    /// The active filter.
    pub filter: Filter,
    /// The active sort.
    pub sort: Sort,
    /// Position of the selection in the view.
    pub selected: usize,
    /// First shown position of the list.
    pub offset: usize,
    /// The focused pane.
    pub focus: Pane,
    /// Transcript scroll position (first shown line) when not following.
    pub transcript_offset: usize,
    /// Whether the transcript follows new lines.
    pub follow: bool,
    /// Lines that arrived while not following.
    pub unseen_lines: usize,
    /// Detail pane scroll.
    pub detail_offset: usize,
    /// The last search, for n / N.
    pub search: Option<String>,
    /// Whether the last search found nothing.
    pub search_failed: bool,

    // The viewport (viewport.rs), told by the loop through `set_viewport`.
    viewport: Viewport,
    /// Rows the list pane shows.
    list_height: usize,
    /// Lines the transcript pane shows.
    transcript_height: usize,
    /// The largest useful `detail_offset` for the selected row at the current pane size.
    detail_max_offset: usize,

    // Modes: prompts, questions, help, doctor (prompts.rs, confirm.rs, help.rs, doctor.rs).
    /// What the keyboard does.
    pub mode: Mode,
    /// The key bindings.
    pub keymap: Keymap,
    /// Set when the app should end.
    pub quit: bool,
    /// The doctor's state and report.
    pub doctor: DoctorView,
    /// First shown line of the doctor's report.
    pub doctor_offset: usize,

    // Messages (messages.rs).
    /// Top-of-screen message.
    pub banner: Option<Banner>,
    /// Run-wide notices already shown (the port-25 breaker).
    pub notices: crate::engine::notice::RunNotices,
    /// The servers that refused us in this run (our IP, rDNS, HELO, a blocklist).
    pub refused_us: Vec<String>,
    /// How lists are read (`--delimiter`), for the file given at start and those opened
    /// with `o`.
    pub list_options: crate::input::ListOptions,
}

impl App {
    /// An empty app.
    pub fn new(keymap: Keymap) -> App {
        App {
            rows: Vec::new(),
            job_rows: jobs::JobRows::default(),
            server: None,
            paused: false,
            details: details::DetailCache::default(),
            past: past::PastView::default(),
            counts: [0; 4],
            done: 0,
            active: 0,
            last_recheck_at: None,
            open_sessions: 0,
            started: None,
            last_finished: None,
            now: Instant::now(),
            view: None,
            view_dirty: false,
            view_changes: ViewChanges::default(),
            providers: ProviderIds::default(),
            filter: Filter::All,
            sort: Sort::Input,
            selected: 0,
            offset: 0,
            focus: Pane::List,
            transcript_offset: 0,
            follow: true,
            unseen_lines: 0,
            detail_offset: 0,
            search: None,
            search_failed: false,
            viewport: Viewport::default(),
            list_height: 20,
            transcript_height: 10,
            detail_max_offset: 0,
            mode: Mode::Normal,
            keymap,
            quit: false,
            doctor: DoctorView::NotRun,
            doctor_offset: 0,
            banner: None,
            notices: Default::default(),
            refused_us: Vec::new(),
            list_options: Default::default(),
        }
    }

    /// Takes one engine event.
    pub fn apply(&mut self, event: EngineEvent) {
        let Some(row) = self.job_rows.get(event.job) else {
            return; // a superseded job (re-checked since)
        };
        match event.kind {
            EventKind::Queued { .. } => {
                self.detail_mut(event.job);
            }
            EventKind::Stage(stage) => self.stage_reached(row, event.job, stage),
            EventKind::Line(line) => self.line_received(row, event.job, line),
            EventKind::Finished(report) => self.finished(row, event.job, report),
        }
    }

    /// Takes one user action and returns what the loop must do.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.expire_banner(action);
        match action {
            Action::Up => self.scroll(-1),
            Action::Down => self.scroll(1),
            Action::PageUp => self.scroll(-(self.page() as isize)),
            Action::PageDown => self.scroll(self.page() as isize),
            Action::Top => self.scroll_to_end(false),
            Action::Bottom => self.scroll_to_end(true),
            Action::FocusNext => self.focus_next(),
            Action::FocusPrev => self.focus_prev(),
            Action::Add => self.open_prompt(PromptKind::Add),
            Action::Open => self.open_prompt(PromptKind::Open),
            Action::Search => self.open_prompt(PromptKind::Search),
            Action::Export => self.open_export_prompt(),
            Action::SaveTranscript => self.open_save_transcript_prompt(),
            Action::SearchNext => self.search_again(1),
            Action::SearchPrev => self.search_again(-1),
            Action::FilterAll
            | Action::FilterDeliverable
            | Action::FilterRisky
            | Action::FilterUnknown
            | Action::FilterUndeliverable => {
                let filter = match action.filter().flatten() {
                    Some(v) => Filter::Verdict(v),
                    None => Filter::All,
                };
                self.set_filter(filter);
            }
            Action::CycleFilter => self.set_filter(self.filter.next()),
            Action::CycleSort => self.cycle_sort(),
            Action::CycleProviderFilter => self.cycle_provider_filter(),
            Action::Recheck => return self.recheck_selected(),
            Action::RecheckUnknown => return self.recheck_unknown(),
            Action::TogglePause => return self.toggle_pause(),
            Action::StoredTranscripts => self.toggle_stored_transcripts(),
            Action::OlderStoredTranscript => self.step_stored_transcript(1),
            Action::NewerStoredTranscript => self.step_stored_transcript(-1),
            Action::Doctor => return self.open_doctor(),
            Action::Help => self.toggle_help(),
            Action::Quit => return self.ask_quit(),
            Action::ForceQuit => return self.quit_now(),
            Action::Dismiss => self.close_stored_transcripts(),
            Action::Click { column, row } => self.click(column, row),
            Action::Wheel { column, row, down } => self.wheel_at(column, row, down),
            Action::Confirm(yes) => return self.answer(yes),
            Action::Cancel => return self.answer(false),
        }
        Vec::new()
    }
}

#[cfg(test)]
mod past_tests;
#[cfg(test)]
mod seam_tests;
#[cfg(test)]
mod tests;
