//! Everything a key (or mouse) can mean. Keys map to actions through the keymap; actions go to
//! `App::update`.

use serde::{Deserialize, Serialize};

use crate::engine::judge::verdict::Verdict;

/// One user intention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Move the selection (or scroll the focused pane) up one line.
    Up,
    /// Down one line.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// To the first line.
    Top,
    /// To the last line (in the transcript: follow new lines again).
    Bottom,
    /// Focus the next pane.
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Open the input line to add an address.
    Add,
    /// Open the input line to load a file.
    Open,
    /// Open the incremental search.
    Search,
    /// Next search match.
    SearchNext,
    /// Previous search match.
    SearchPrev,
    /// Show every row.
    FilterAll,
    /// Show only deliverable rows.
    FilterDeliverable,
    /// Show only risky rows.
    FilterRisky,
    /// Show only unknown rows.
    FilterUnknown,
    /// Show only undeliverable rows.
    FilterUndeliverable,
    /// Cycle through the filters.
    CycleFilter,
    /// Cycle the sort order (input, verdict, domain, provider).
    CycleSort,
    /// Show only the rows of one mail provider, the next one each time.
    CycleProviderFilter,
    /// Re-check the selected address.
    Recheck,
    /// Re-check every unknown address.
    RecheckUnknown,
    /// Pause or resume starting new checks.
    TogglePause,
    /// Export the (filtered) list to CSV or JSONL.
    Export,
    /// Save the selected transcript to a file.
    SaveTranscript,
    /// Show the selected address's stored conversations (from the history) in the transcript
    /// pane, or the live one again.
    StoredTranscripts,
    /// The next older stored conversation.
    OlderStoredTranscript,
    /// The next newer stored conversation.
    NewerStoredTranscript,
    /// Check whether this machine is fit to verify (`mxknock doctor`) and show the report.
    Doctor,
    /// Show or hide the help screen.
    Help,
    /// Quit (asks while checks are running).
    Quit,
    /// Quit at once.
    ForceQuit,
    /// Hide the error banner.
    Dismiss,
    /// Yes (true) or no (false) to the open question (quit while checking, overwrite a file).
    Confirm(bool),
    /// Esc at the open question: no.
    Cancel,
    /// A left click at a terminal cell: selects the list row there, or focuses the pane.
    Click {
        /// The cell's column.
        column: u16,
        /// The cell's row.
        row: u16,
    },
    /// The mouse wheel at a terminal cell: scrolls the pane there, which takes the focus.
    Wheel {
        /// The cell's column.
        column: u16,
        /// The cell's row.
        row: u16,
        /// Towards the end (true) or the start.
        down: bool,
    },
}

impl Action {
    /// The filter this action selects, if it is a filter action (`Some(None)` = all).
    pub fn filter(self) -> Option<Option<Verdict>> {
        match self {
            Action::FilterAll => Some(None),
            Action::FilterDeliverable => Some(Some(Verdict::Deliverable)),
            Action::FilterRisky => Some(Some(Verdict::Risky)),
            Action::FilterUnknown => Some(Some(Verdict::Unknown)),
            Action::FilterUndeliverable => Some(Some(Verdict::Undeliverable)),
            _ => None,
        }
    }

    /// A few words for the help screen and footer.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "top",
            Action::Bottom => "bottom / follow",
            Action::FocusNext => "next pane",
            Action::FocusPrev => "previous pane",
            Action::Add => "add address",
            Action::Open => "open file",
            Action::Search => "search",
            Action::SearchNext => "next match",
            Action::SearchPrev => "previous match",
            Action::FilterAll => "show all",
            Action::FilterDeliverable => "deliverable only",
            Action::FilterRisky => "risky only",
            Action::FilterUnknown => "unknown only",
            Action::FilterUndeliverable => "undeliverable only",
            Action::CycleFilter => "cycle filter",
            Action::CycleSort => "cycle sort",
            Action::CycleProviderFilter => "filter by provider",
            Action::Recheck => "re-check selected",
            Action::RecheckUnknown => "re-check all unknown",
            Action::TogglePause => "pause / resume",
            Action::Export => "export list",
            Action::SaveTranscript => "save transcript",
            Action::StoredTranscripts => "stored transcripts (history)",
            Action::OlderStoredTranscript => "older stored transcript",
            Action::NewerStoredTranscript => "newer stored transcript",
            Action::Doctor => "machine check (doctor)",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::ForceQuit => "quit now",
            Action::Dismiss => "hide error / stored view",
            Action::Confirm(true) => "yes",
            Action::Confirm(false) => "no",
            Action::Cancel => "cancel",
            Action::Click { .. } => "select / focus",
            Action::Wheel { .. } => "scroll",
        }
    }
}
