//! The TUI's state. `update(Action)`, `paste(text)` and `apply(EngineEvent)` are pure state
//! changes; `update` and `paste` return the [`Effect`]s (start checks, export, quit ...) that the
//! loop carries out. Rendering only reads an `App`.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::action::Action;
use super::keymap::Keymap;
use super::prompt::{Prompt, PromptKind};
use super::rows::{Filter, Progress, Row, Sort, build_view, scroll_to_show};
use crate::cli::doctor::DoctorReport;
use crate::engine::event::{EngineEvent, EventKind, JobId};
use crate::engine::transcript::TranscriptLine;
use crate::engine::verdict::{Report, Verdict};

/// Full reports and transcripts are kept for this many most recent jobs (and the selected one);
/// older ones keep only their row summary, so a list of a million stays small.
pub const DETAIL_CAPACITY: usize = 20_000;

/// Transcript lines kept per job.
pub const MAX_TRANSCRIPT_LINES: usize = 2_000;

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
    Check { row: usize, address: String },
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

/// A message across the top of the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// The text.
    pub text: String,
    /// Whether it reports an error.
    pub error: bool,
}

/// Where the doctor (`mxknock doctor`, key D) is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DoctorView {
    /// Not run in this session yet.
    #[default]
    NotRun,
    /// Running in the background.
    Running,
    /// Its report.
    Done(Box<DoctorReport>),
    /// It cannot run here, and why.
    Unavailable(String),
}

/// What is kept for a recent job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobDetail {
    /// Its transcript so far.
    pub lines: Vec<TranscriptLine>,
    /// Lines dropped beyond [`MAX_TRANSCRIPT_LINES`].
    pub dropped_lines: usize,
    /// Its report, once finished.
    pub report: Option<Box<Report>>,
    /// The host it is connecting to or speaking with.
    pub host: Option<String>,
}

/// The application state.
pub struct App {
    /// Every address, in load order.
    pub rows: Vec<Row>,
    /// Shown rows (indices into `rows`), or `None` for "all rows in input order".
    view: Option<Vec<u32>>,
    view_dirty: bool,
    /// Which job belongs to which row.
    job_rows: HashMap<JobId, usize>,
    /// Reports and transcripts of recent jobs.
    details: HashMap<JobId, JobDetail>,
    detail_order: VecDeque<JobId>,
    /// The active filter.
    pub filter: Filter,
    /// The active sort.
    pub sort: Sort,
    /// Position of the selection in the view.
    pub selected: usize,
    /// First shown position of the list.
    pub offset: usize,
    /// Rows the list pane shows (set by the loop from the last layout).
    pub list_height: usize,
    /// Lines the transcript pane shows.
    pub transcript_height: usize,
    /// The focused pane.
    pub focus: Pane,
    /// What the keyboard does.
    pub mode: Mode,
    /// The last search, for n / N.
    pub search: Option<String>,
    /// Whether the last search found nothing.
    pub search_failed: bool,
    /// Transcript scroll position (first shown line) when not following.
    pub transcript_offset: usize,
    /// Whether the transcript follows new lines.
    pub follow: bool,
    /// Lines that arrived while not following.
    pub unseen_lines: usize,
    /// Detail pane scroll.
    pub detail_offset: usize,
    /// The largest useful `detail_offset` for the selected row at the current pane size
    /// (recorded by the loop each frame).
    pub detail_max_offset: usize,
    /// New checks are held.
    pub paused: bool,
    /// Top-of-screen message.
    pub banner: Option<Banner>,
    /// Run-wide notices already shown (the port-25 breaker).
    pub notices: crate::engine::notice::RunNotices,
    /// The servers that refused us in this run (our IP, rDNS, HELO, a blocklist).
    pub refused_us: Vec<String>,
    /// Counts per verdict, in `Verdict::ALL` order.
    pub counts: [usize; 4],
    /// Finished checks.
    pub done: usize,
    /// Checks in flight (started, not finished).
    pub active: usize,
    /// The `--server` every check asks instead of the MX hosts, if one was given.
    pub server: Option<String>,
    /// When the latest greylisting re-check announced so far is due.
    pub last_recheck_at: Option<Instant>,
    /// SMTP connections open now (from the engine's counters, read by the loop each frame).
    pub open_sessions: u64,
    /// When the first check of this run started.
    pub started: Option<Instant>,
    /// When the last check finished.
    pub last_finished: Option<Instant>,
    /// Now, as of the last tick (render reads it; it never calls the clock).
    pub now: Instant,
    /// The key bindings.
    pub keymap: Keymap,
    /// Set when the app should end.
    pub quit: bool,
    /// The terminal size as of the last frame (for mouse hit-testing).
    pub screen: (u16, u16),
    /// The doctor's state and report.
    pub doctor: DoctorView,
    /// First shown line of the doctor's report.
    pub doctor_offset: usize,
}

impl App {
    /// An empty app.
    pub fn new(keymap: Keymap) -> App {
        App {
            rows: Vec::new(),
            view: None,
            view_dirty: false,
            job_rows: HashMap::new(),
            details: HashMap::new(),
            detail_order: VecDeque::new(),
            filter: Filter::All,
            sort: Sort::Input,
            selected: 0,
            offset: 0,
            list_height: 20,
            transcript_height: 10,
            focus: Pane::List,
            mode: Mode::Normal,
            search: None,
            search_failed: false,
            transcript_offset: 0,
            follow: true,
            unseen_lines: 0,
            detail_offset: 0,
            detail_max_offset: 0,
            paused: false,
            banner: None,
            notices: Default::default(),
            refused_us: Vec::new(),
            open_sessions: 0,
            last_recheck_at: None,
            server: None,
            counts: [0; 4],
            done: 0,
            active: 0,
            started: None,
            last_finished: None,
            now: Instant::now(),
            keymap,
            quit: false,
            screen: (80, 24),
            doctor: DoctorView::NotRun,
            doctor_offset: 0,
        }
    }

    /// Adds addresses (with their duplicate counts) and returns the checks to start.
    pub fn add_addresses(
        &mut self,
        entries: impl IntoIterator<Item = (String, u32)>,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        for (address, count) in entries {
            let row = self.rows.len();
            self.rows.push(Row::new(address.clone(), count));
            effects.push(Effect::Check { row, address });
        }
        self.view_dirty = true;
        effects
    }

    /// The loop started `job` for `row`.
    pub fn bind_job(&mut self, row: usize, job: JobId) {
        if let Some(r) = self.rows.get_mut(row) {
            if let Some(old) = r.job {
                self.job_rows.remove(&old);
            }
            r.job = Some(job);
            r.progress = Progress::Queued;
            self.job_rows.insert(job, row);
            self.started.get_or_insert(self.now);
        }
    }

    /// Number of shown rows.
    pub fn view_len(&self) -> usize {
        self.view.as_ref().map_or(self.rows.len(), Vec::len)
    }

    /// The row index at view position `position`.
    pub fn row_at(&self, position: usize) -> Option<usize> {
        match &self.view {
            Some(view) => view.get(position).map(|&i| i as usize),
            None => (position < self.rows.len()).then_some(position),
        }
    }

    /// The selected row index.
    pub fn selected_row(&self) -> Option<usize> {
        self.row_at(self.selected)
    }

    /// Detail of the selected row's job, if kept.
    pub fn selected_detail(&self) -> Option<&JobDetail> {
        let job = self.rows.get(self.selected_row()?)?.job?;
        self.details.get(&job)
    }

    /// Detail of a job, if kept.
    pub fn detail(&self, job: JobId) -> Option<&JobDetail> {
        self.details.get(&job)
    }

    /// The report to export for a finished row: the full one when kept, else one rebuilt from
    /// the row's summary. None while the row is unfinished.
    pub fn report_for_export(&self, row: usize) -> Option<Report> {
        let r = &self.rows[row];
        if let Some(report) = r
            .job
            .and_then(|j| self.details.get(&j))
            .and_then(|d| d.report.as_deref())
        {
            return Some(report.clone());
        }
        let mut report = Report::new(r.address.to_string(), r.reason?, "details no longer kept");
        report.duration_ms = u64::from(r.duration_ms);
        Some(report)
    }

    /// Rows not finished yet.
    pub fn pending(&self) -> usize {
        self.rows.len() - self.done.min(self.rows.len())
    }

    /// Checks per second since the run started (up to the last finish once all are done).
    pub fn rate(&self) -> f64 {
        let Some(start) = self.started else {
            return 0.0;
        };
        let end = match self.last_finished {
            Some(last) if self.pending() == 0 => last,
            _ => self.now,
        };
        let secs = end.saturating_duration_since(start).as_secs_f64();
        if secs > 0.05 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// Time left at the current rate.
    /// The time left: the pending checks at the rate so far, but never before the last
    /// greylisting re-check is due. None when nothing is pending, nothing has finished yet, or
    /// the run is paused.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        if self.paused || rate <= 0.0 || self.pending() == 0 {
            return None;
        }
        let at_rate = Duration::from_secs_f64(self.pending() as f64 / rate);
        let recheck = self
            .last_recheck_at
            .map_or(Duration::ZERO, |at| at.saturating_duration_since(self.now));
        Some(at_rate.max(recheck))
    }

    /// Recomputes the view if rows or filter changed; keeps the same row selected when it can.
    /// Called by the loop once per frame, never by render.
    pub fn refresh_view(&mut self) {
        if !self.view_dirty {
            return;
        }
        self.view_dirty = false;
        let keep = self.selected_row();
        self.view = if self.filter == Filter::All && self.sort == Sort::Input {
            None
        } else {
            Some(build_view(&self.rows, self.filter, self.sort))
        };
        if let (Some(row), Some(view)) = (keep, &self.view) {
            if let Some(pos) = view.iter().position(|&i| i as usize == row) {
                self.selected = pos;
            }
        } else if let (Some(row), None) = (keep, &self.view) {
            self.selected = row;
        }
        self.clamp_selection();
    }

    fn clamp_selection(&mut self) {
        let len = self.view_len();
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = scroll_to_show(
            self.selected,
            self.offset.min(len.saturating_sub(1)),
            self.list_height,
        );
    }

    fn select(&mut self, position: usize) {
        let before = self.selected_row();
        self.selected = position;
        self.clamp_selection();
        if self.selected_row() != before {
            self.follow = true;
            self.unseen_lines = 0;
            self.detail_offset = 0;
        }
    }

    /// Takes one engine event.
    pub fn apply(&mut self, event: EngineEvent) {
        let Some(&row) = self.job_rows.get(&event.job) else {
            return; // a superseded job (re-checked since)
        };
        let selected = self.selected_row() == Some(row);
        match event.kind {
            EventKind::Queued { .. } => {
                self.detail_mut(event.job);
            }
            EventKind::Stage(stage) => {
                let progress = Progress::from_stage(&stage);
                match (self.rows[row].progress.is_active(), progress.is_active()) {
                    (false, true) => self.active += 1,
                    (true, false) => self.active = self.active.saturating_sub(1),
                    _ => {}
                }
                self.rows[row].progress = progress;
                self.rows[row].retry_at = match stage {
                    crate::engine::event::Stage::Greylisted(secs) => {
                        let at = self.now + Duration::from_secs(secs);
                        self.last_recheck_at = self.last_recheck_at.max(Some(at));
                        Some(at)
                    }
                    _ => None,
                };
                if let crate::engine::event::Stage::Connecting(host) = stage {
                    self.detail_mut(event.job).host = Some(host);
                }
            }
            EventKind::Line(line) => {
                let detail = self.detail_mut(event.job);
                if detail.lines.len() < MAX_TRANSCRIPT_LINES {
                    detail.lines.push(line);
                } else {
                    detail.dropped_lines += 1;
                }
                if selected && !self.follow {
                    self.unseen_lines += 1;
                }
            }
            EventKind::Finished(report) => {
                let r = &mut self.rows[row];
                if r.progress.is_active() {
                    self.active = self.active.saturating_sub(1);
                }
                if let Some(old) = r.verdict {
                    self.counts[old as usize] -= 1;
                    self.done -= 1;
                }
                r.finish(&report);
                if let Some(notice) = self.notices.see(&report) {
                    self.error(format!("{notice}; {}", self.doctor_hint()));
                }
                self.counts[report.verdict as usize] += 1;
                self.done += 1;
                self.last_finished = Some(self.now);
                self.detail_mut(event.job).report = Some(report);
                if self.filter != Filter::All || self.sort != Sort::Input {
                    self.view_dirty = true;
                }
            }
        }
    }

    fn detail_mut(&mut self, job: JobId) -> &mut JobDetail {
        if !self.details.contains_key(&job) {
            self.detail_order.push_back(job);
            while self.detail_order.len() > DETAIL_CAPACITY {
                let selected_job = self.selected_row().and_then(|r| self.rows[r].job);
                if let Some(old) = self.detail_order.pop_front() {
                    if Some(old) == selected_job {
                        self.detail_order.push_back(old);
                    } else {
                        self.details.remove(&old);
                    }
                }
            }
        }
        self.details.entry(job).or_default()
    }

    /// Takes one user action and returns what the loop must do.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        // Information goes with the next key; an error stays until Esc (or the next message).
        self.banner = self
            .banner
            .take()
            .filter(|b| b.error && action != Action::Dismiss);
        match action {
            Action::Up => self.scroll(-1),
            Action::Down => self.scroll(1),
            Action::PageUp => self.scroll(-(self.page() as isize)),
            Action::PageDown => self.scroll(self.page() as isize),
            Action::Top => self.scroll_to_end(false),
            Action::Bottom => self.scroll_to_end(true),
            Action::FocusNext => {
                self.focus = match self.focus {
                    Pane::List => Pane::Detail,
                    Pane::Detail => Pane::Transcript,
                    Pane::Transcript => Pane::List,
                }
            }
            Action::FocusPrev => {
                self.focus = match self.focus {
                    Pane::List => Pane::Transcript,
                    Pane::Detail => Pane::List,
                    Pane::Transcript => Pane::Detail,
                }
            }
            Action::Add => self.mode = Mode::Prompt(Prompt::new(PromptKind::Add)),
            Action::Open => self.mode = Mode::Prompt(Prompt::new(PromptKind::Open)),
            Action::Search => self.mode = Mode::Prompt(Prompt::new(PromptKind::Search)),
            Action::Export => {
                self.mode =
                    Mode::Prompt(Prompt::with_text(PromptKind::Export, "mxknock-results.csv"))
            }
            Action::SaveTranscript => {
                if self.selected_detail().is_some() {
                    let name = self
                        .selected_row()
                        .map(|r| {
                            format!(
                                "{}.transcript.txt",
                                self.rows[r].address.replace(['/', '\\'], "_")
                            )
                        })
                        .unwrap_or_default();
                    self.mode = Mode::Prompt(Prompt::with_text(PromptKind::SaveTranscript, &name));
                } else {
                    self.error("no transcript for the selected address");
                }
            }
            Action::SearchNext | Action::SearchPrev => {
                let direction = if action == Action::SearchNext { 1 } else { -1 };
                match self.search.clone().filter(|s| !s.is_empty()) {
                    Some(needle) => {
                        self.find(&needle, direction, true);
                        if self.search_failed {
                            self.error(format!("no address contains {needle:?}"));
                        }
                    }
                    None => self.info("nothing to find yet: press / to search"),
                }
            }
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
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.view_dirty = true;
                self.refresh_view();
            }
            Action::Recheck => {
                if let Some(row) = self.selected_row() {
                    return vec![self.recheck(row)];
                }
            }
            Action::RecheckUnknown => {
                let rows: Vec<usize> = (0..self.rows.len())
                    .filter(|&i| self.rows[i].verdict == Some(Verdict::Unknown))
                    .collect();
                if rows.is_empty() {
                    self.info("no unknown addresses to re-check");
                }
                return rows.into_iter().map(|r| self.recheck(r)).collect();
            }
            Action::TogglePause => {
                self.paused = !self.paused;
                return vec![Effect::SetPaused(self.paused)];
            }
            Action::Doctor => {
                self.mode = Mode::Doctor;
                if matches!(self.doctor, DoctorView::NotRun) {
                    return self.run_doctor();
                }
            }
            Action::Help => {
                self.mode = if self.mode == Mode::Help {
                    Mode::Normal
                } else {
                    Mode::Help
                };
            }
            Action::Quit => {
                if self.pending() > 0 && !self.rows.is_empty() {
                    self.mode = Mode::ConfirmQuit;
                } else {
                    self.quit = true;
                    return vec![Effect::Quit];
                }
            }
            Action::ForceQuit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Dismiss => {}
        }
        Vec::new()
    }

    /// Starts the doctor (unless it is running already) and returns the effect that does.
    pub fn run_doctor(&mut self) -> Vec<Effect> {
        if self.doctor == DoctorView::Running {
            return Vec::new();
        }
        self.doctor = DoctorView::Running;
        self.doctor_offset = 0;
        vec![Effect::RunDoctor]
    }

    /// The doctor's report came in. Shown at once when its window is open; otherwise a
    /// banner says how it went.
    pub fn doctor_finished(&mut self, report: DoctorReport) {
        if self.mode != Mode::Doctor {
            let text = format!(
                "doctor: {}; press {} to see it",
                crate::cli::doctor::human::count_line(&report),
                self.keymap
                    .keys_for(Action::Doctor)
                    .first()
                    .map_or("D", String::as_str)
            );
            if report.status == crate::cli::doctor::Status::Pass {
                self.info(text);
            } else {
                self.error(text);
            }
        }
        self.doctor = DoctorView::Done(Box::new(report));
    }

    /// The doctor cannot run (no network to run it over, or its task failed).
    pub fn doctor_unavailable(&mut self, why: impl Into<String>) {
        self.doctor = DoctorView::Unavailable(why.into());
    }

    /// Closes the doctor's window (it keeps running, and its report is kept).
    pub fn close_doctor(&mut self) {
        if self.mode == Mode::Doctor {
            self.mode = Mode::Normal;
        }
    }

    /// Scrolls the doctor's report by `delta` lines (the view clamps it).
    pub fn scroll_doctor(&mut self, delta: isize) {
        let lines = match &self.doctor {
            DoctorView::Done(report) => report.checks.len() + 2,
            _ => 0,
        };
        self.doctor_offset = self
            .doctor_offset
            .saturating_add_signed(delta)
            .min(lines.saturating_sub(1));
    }

    /// The user answered the quit question.
    pub fn confirm_quit(&mut self, yes: bool) -> Vec<Effect> {
        self.mode = Mode::Normal;
        if yes {
            self.quit = true;
            vec![Effect::Quit]
        } else {
            Vec::new()
        }
    }

    /// The write `effect` would replace an existing file: ask first.
    pub fn ask_overwrite(&mut self, effect: Effect) {
        self.mode = Mode::ConfirmOverwrite(Box::new(effect));
    }

    /// The answer to "overwrite?": the write, now allowed to replace the file, or nothing.
    pub fn confirm_overwrite(&mut self, yes: bool) -> Vec<Effect> {
        let Mode::ConfirmOverwrite(effect) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return Vec::new();
        };
        if !yes {
            self.info("not written");
            return Vec::new();
        }
        match *effect {
            Effect::Export { path, .. } => vec![Effect::Export {
                path,
                overwrite: true,
            }],
            Effect::SaveTranscript { job, path, .. } => vec![Effect::SaveTranscript {
                job,
                path,
                overwrite: true,
            }],
            other => vec![other],
        }
    }

    /// The user typed into, submitted or cancelled the prompt.
    pub fn prompt_changed(&mut self) {
        if let Mode::Prompt(prompt) = &self.mode
            && prompt.kind == PromptKind::Search
        {
            let text = prompt.text();
            self.find(&text, 0, false);
        }
    }

    /// The prompt was submitted.
    pub fn prompt_submitted(&mut self) -> Vec<Effect> {
        let Mode::Prompt(prompt) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return Vec::new();
        };
        let text = prompt.text().trim().to_string();
        if text.is_empty() {
            return Vec::new();
        }
        match prompt.kind {
            PromptKind::Add => {
                let (effects, shown_all) = self.add_and_show(vec![text]);
                if shown_all {
                    self.info("showing all addresses, so the new one is in view");
                }
                effects
            }
            PromptKind::Open => vec![Effect::Load(PathBuf::from(text))],
            PromptKind::Search => {
                if self.search_failed && !text.is_empty() {
                    self.error(format!("no address contains {text:?}"));
                }
                self.search = Some(text);
                Vec::new()
            }
            PromptKind::Export => vec![Effect::Export {
                path: PathBuf::from(text),
                overwrite: false,
            }],
            PromptKind::SaveTranscript => {
                match self.selected_row().and_then(|r| self.rows[r].job) {
                    Some(job) => vec![Effect::SaveTranscript {
                        job,
                        path: PathBuf::from(text),
                        overwrite: false,
                    }],
                    None => Vec::new(),
                }
            }
        }
    }

    /// Pasted text (bracketed paste), never read as keys. Into the add prompt it adds every
    /// address it holds (with what was typed there) and closes the prompt; into another prompt
    /// it types its first line that has text; anywhere else it is ignored, with a hint.
    pub fn paste(&mut self, text: &str) -> Vec<Effect> {
        let Mode::Prompt(prompt) = &mut self.mode else {
            let hint = match self.keymap.keys_for(Action::Add).first() {
                Some(key) => format!("paste ignored: press {key} to add addresses"),
                None => "paste ignored".to_string(),
            };
            self.info(hint);
            return Vec::new();
        };
        if prompt.kind == PromptKind::Add {
            return self.paste_addresses(text);
        }
        if prompt.insert(first_line(text)) {
            self.prompt_changed();
        }
        Vec::new()
    }

    /// A paste into the add prompt: every address in the prompt's text with the paste in it.
    fn paste_addresses(&mut self, text: &str) -> Vec<Effect> {
        let Mode::Prompt(prompt) = &self.mode else {
            return Vec::new();
        };
        let addresses = split_addresses(&prompt.text_with(text));
        if addresses.is_empty() {
            self.info("the paste holds no address");
            return Vec::new();
        }
        self.mode = Mode::Normal;
        let added = super::count(addresses.len(), "address");
        let (effects, shown_all) = self.add_and_show(addresses);
        self.info(if shown_all {
            format!("added {added}; showing all addresses, so they are in view")
        } else {
            format!("added {added}")
        });
        effects
    }

    /// Adds typed or pasted addresses, shows every row if the filter would hide them, and
    /// selects the first new one. Returns the checks to start and whether the filter was reset.
    fn add_and_show(&mut self, addresses: Vec<String>) -> (Vec<Effect>, bool) {
        let first = self.rows.len();
        let effects = self.add_addresses(addresses.into_iter().map(|a| (a, 1)));
        let reset = !matches!(self.filter, Filter::All | Filter::Pending);
        if reset {
            self.filter = Filter::All;
        }
        self.refresh_view();
        let position = (0..self.view_len())
            .find(|&p| self.row_at(p) == Some(first))
            .unwrap_or(0);
        self.select(position);
        (effects, reset)
    }

    /// Where to look next when the problem is us: the doctor's key.
    fn doctor_hint(&self) -> String {
        match self.keymap.keys_for(Action::Doctor).first() {
            Some(key) => format!("press {key} for the machine check (doctor)"),
            None => "run `mxknock doctor` to see why".to_string(),
        }
    }

    /// Takes the engine's list of servers that refused us; a new one is announced in a banner.
    pub fn set_refused_us(&mut self, hosts: Vec<String>) {
        if hosts.len() > self.refused_us.len() && self.notices.port_blocked().is_none() {
            let newest = hosts.last().cloned().unwrap_or_default();
            self.error(format!(
                "{newest} refused us (our IP, its reverse DNS, our HELO name or sender), not a mailbox: \
                 addresses waiting for it are unknown/blocked and it is not asked again; {}",
                self.doctor_hint()
            ));
        }
        self.refused_us = hosts;
    }

    /// Shows an informational banner (until the next key).
    pub fn info(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: false,
        });
    }

    /// Shows an error banner (stays until Esc or the next message).
    pub fn error(&mut self, text: impl Into<String>) {
        self.banner = Some(Banner {
            text: text.into(),
            error: true,
        });
    }

    /// The mouse wheel or a click on list line `line` (0 = first shown row).
    pub fn click_list(&mut self, line: usize) {
        self.focus = Pane::List;
        let position = self.offset + line;
        if position < self.view_len() {
            self.select(position);
        }
    }

    /// Mouse wheel over the focused pane.
    pub fn wheel(&mut self, down: bool) {
        self.scroll(if down { 3 } else { -3 });
    }

    fn page(&self) -> usize {
        match self.focus {
            Pane::List => self.list_height.max(1),
            _ => self.transcript_height.max(1),
        }
    }

    fn scroll(&mut self, delta: isize) {
        match self.focus {
            Pane::List => {
                let target = (self.selected as isize + delta).max(0) as usize;
                self.select(target);
            }
            Pane::Detail => {
                let current = self.detail_offset.min(self.detail_max_offset);
                self.detail_offset = current
                    .saturating_add_signed(delta)
                    .min(self.detail_max_offset);
            }
            Pane::Transcript => {
                let total = self.selected_detail().map_or(0, |d| d.lines.len());
                let max_offset = total.saturating_sub(self.transcript_height);
                let current = if self.follow {
                    max_offset
                } else {
                    self.transcript_offset
                };
                let next = (current as isize + delta).clamp(0, max_offset as isize) as usize;
                self.transcript_offset = next;
                self.follow = next >= max_offset && delta > 0;
                if self.follow {
                    self.unseen_lines = 0;
                }
            }
        }
    }

    fn scroll_to_end(&mut self, bottom: bool) {
        match self.focus {
            Pane::List => self.select(if bottom {
                self.view_len().saturating_sub(1)
            } else {
                0
            }),
            Pane::Detail => self.detail_offset = if bottom { self.detail_max_offset } else { 0 },
            Pane::Transcript => {
                self.follow = bottom;
                self.transcript_offset = 0;
                self.unseen_lines = 0;
            }
        }
    }

    fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.view_dirty = true;
        self.refresh_view();
    }

    fn recheck(&mut self, row: usize) -> Effect {
        let r = &mut self.rows[row];
        if let Some(old) = r.verdict.take() {
            self.counts[old as usize] -= 1;
            self.done -= 1;
        }
        if r.progress.is_active() {
            self.active = self.active.saturating_sub(1);
        }
        r.reason = None;
        r.progress = Progress::Queued;
        self.view_dirty = true;
        Effect::Check {
            row,
            address: r.address.to_string(),
        }
    }

    /// Moves to the next (direction 1) or previous (-1) row containing `needle`, starting at
    /// the selection (0: the selection itself counts, for incremental search).
    fn find(&mut self, needle: &str, direction: isize, skip_current: bool) {
        if needle.is_empty() {
            self.search_failed = false;
            return;
        }
        let len = self.view_len();
        if len == 0 {
            self.search_failed = true;
            return;
        }
        let needle = needle.to_lowercase();
        let step = if direction < 0 { len - 1 } else { 1 };
        let mut position = if skip_current {
            (self.selected + step) % len
        } else {
            self.selected
        };
        for _ in 0..len {
            let row = self.row_at(position).expect("position in view");
            if contains_ignore_case(&self.rows[row].address, &needle) {
                self.search_failed = false;
                self.select(position);
                return;
            }
            position = (position + step) % len;
        }
        self.search_failed = true;
    }
}

/// The addresses in pasted text: one per line, or separated by commas or semicolons (a tab or
/// any other control character separates too); trimmed, empty pieces left out.
fn split_addresses(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_control() || c == ',' || c == ';')
        .map(str::trim)
        .filter(|piece| !piece.is_empty())
        .map(String::from)
        .collect()
}

/// The first line of pasted text that has any (trimmed); terminals send line breaks as CR or LF.
fn first_line(text: &str) -> &str {
    text.split(['\r', '\n'])
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
}

/// Case-insensitive substring test without allocating for ASCII haystacks.
fn contains_ignore_case(haystack: &str, lowercase_needle: &str) -> bool {
    if haystack.is_ascii() && lowercase_needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), lowercase_needle.as_bytes());
        h.windows(n.len().max(1))
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
    } else {
        haystack.to_lowercase().contains(lowercase_needle)
    }
}

#[cfg(test)]
mod tests;
