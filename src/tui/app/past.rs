//! What the history knows of the selected address: its last few stored checks, which the
//! detail pane lists, and their stored conversations, which key `H` opens in the transcript
//! pane (`[` older, `]` newer, `H` or Esc back to the live one).
//!
//! The app never touches the database. It says what it wants read ([`App::history_wanted`]:
//! the past of the selected address, or one stored transcript); the loop reads that and hands
//! it back ([`App::past_loaded`], [`App::stored_transcript_loaded`]). Render only reads what
//! is here. When the selected address finishes a check, its past is read again a moment later,
//! once the recorder has committed the new result.

use std::time::{Duration, Instant};

use super::{App, Pane};
use crate::engine::judge::verdict::{Reason, Verdict};
use crate::history::StoredCheck;

/// Stored checks of the selected address the detail pane lists.
pub const PAST_SHOWN: usize = 5;

/// How long after the selected address finished its past is read again (the recorder commits
/// within tens of milliseconds).
const REREAD_AFTER: Duration = Duration::from_millis(300);

/// One stored check, as the detail pane lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastCheck {
    /// Its row id in the history.
    pub id: i64,
    /// When it finished (ms since the epoch).
    pub checked_at_ms: i64,
    /// Its verdict.
    pub verdict: Verdict,
    /// Its reason.
    pub reason: Reason,
    /// The server's reply code and enhanced code, when one answered (`550 5.1.1`).
    pub reply: Option<String>,
    /// Whether its conversation was kept.
    pub has_transcript: bool,
}

impl PastCheck {
    /// The summary of a stored check.
    pub fn of(stored: &StoredCheck) -> PastCheck {
        let report = &stored.report;
        let reply = report.smtp.as_ref().and_then(|smtp| {
            let code = smtp.code?;
            Some(match &smtp.enhanced_code {
                Some(enhanced) => format!("{code} {enhanced}"),
                None => code.to_string(),
            })
        });
        PastCheck {
            id: stored.id,
            checked_at_ms: stored.checked_at_ms,
            verdict: report.verdict,
            reason: report.reason,
            reply,
            has_transcript: stored.has_transcript,
        }
    }
}

/// Something the app wants read from the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryRead {
    /// The last [`PAST_SHOWN`] checks of this address (as the row has it).
    Past(String),
    /// The stored conversation of this check.
    Transcript(i64),
}

/// The stored conversation the transcript pane shows in place of the live one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredTranscript {
    /// Which of the selected address's checks with a transcript, newest first (0 = newest).
    pub index: usize,
    /// The check it belongs to and its lines, once read (`None`: the check has none kept).
    pub loaded: Option<(i64, Option<Vec<String>>)>,
}

/// The history as the TUI shows it.
#[derive(Debug, Default)]
pub struct PastView {
    /// The TUI has a history to read (off with `--no-history`, `--demo` without `--db`).
    pub available: bool,
    /// The address whose checks are loaded, and them, newest first.
    loaded: Option<(String, Vec<PastCheck>)>,
    /// When the loaded past was read (ms since the epoch): ages are counted from it.
    pub read_at_ms: i64,
    /// Read the loaded address's past again at this moment (it finished a check).
    reread_at: Option<Instant>,
    /// The transcript pane shows stored conversations instead of the live one.
    pub stored: Option<StoredTranscript>,
}

impl App {
    /// Tells the app whether a history is there to read (the loop says so at the start).
    pub fn set_history_available(&mut self, available: bool) {
        self.past.available = available;
    }

    /// The stored checks of the selected address, newest first, once read; None while not
    /// read yet (or no history).
    pub fn selected_past(&self) -> Option<&[PastCheck]> {
        let address = &self.rows.get(self.selected_row()?)?.address;
        match &self.past.loaded {
            Some((loaded, checks)) if **loaded == **address => Some(checks),
            _ => None,
        }
    }

    /// The selected address's checks whose conversation was kept, newest first.
    fn past_with_transcripts(&self) -> impl Iterator<Item = &PastCheck> {
        self.selected_past()
            .unwrap_or_default()
            .iter()
            .filter(|c| c.has_transcript)
    }

    /// The stored check whose conversation the transcript pane shows, with its position and
    /// how many there are: `(check, 1-based position, count)`.
    pub fn shown_stored_check(&self) -> Option<(&PastCheck, usize, usize)> {
        let stored = self.past.stored.as_ref()?;
        let count = self.past_with_transcripts().count();
        let check = self.past_with_transcripts().nth(stored.index)?;
        Some((check, stored.index + 1, count))
    }

    /// The lines of the stored conversation shown, once read.
    pub fn stored_transcript_lines(&self) -> Option<&[String]> {
        let (check, _, _) = self.shown_stored_check()?;
        match &self.past.stored.as_ref()?.loaded {
            Some((id, Some(lines))) if *id == check.id => Some(lines),
            _ => None,
        }
    }

    /// Whether the stored conversation shown was read and had no text kept.
    pub fn stored_transcript_missing(&self) -> bool {
        let shown = self.shown_stored_check().map(|(c, _, _)| c.id);
        matches!(
            self.past.stored.as_ref().and_then(|s| s.loaded.as_ref()),
            Some((id, None)) if Some(*id) == shown
        )
    }

    /// What the loop should read from the history for the app now, if anything.
    pub fn history_wanted(&self) -> Option<HistoryRead> {
        if !self.past.available {
            return None;
        }
        let address = &self.rows.get(self.selected_row()?)?.address;
        let stale = self.past.reread_at.is_some_and(|at| self.now >= at);
        if self.selected_past().is_none() || stale {
            return Some(HistoryRead::Past(address.to_string()));
        }
        let (check, _, _) = self.shown_stored_check()?;
        let loaded = self
            .past
            .stored
            .as_ref()?
            .loaded
            .as_ref()
            .map(|(id, _)| *id);
        (loaded != Some(check.id)).then_some(HistoryRead::Transcript(check.id))
    }

    /// Whether, at `now`, the app has something to read from the history: a frame is due
    /// then (the loop asks between frames, when the app's own clock stands still).
    pub fn history_read_due(&self, now: Instant) -> bool {
        self.history_wanted().is_some()
            || (self.past.available && self.past.reread_at.is_some_and(|at| now >= at))
    }

    /// The loop read the past of `address` at `now_ms` (ms since the epoch); an error reads
    /// as none, is shown, and stops further reads.
    pub fn past_loaded(
        &mut self,
        address: &str,
        checks: Result<Vec<PastCheck>, String>,
        now_ms: i64,
    ) {
        let checks = checks.unwrap_or_else(|e| {
            self.error(format!("history: {e}"));
            self.past.available = false;
            Vec::new()
        });
        let same = matches!(&self.past.loaded, Some((a, _)) if a == address);
        if !same && let Some(stored) = &mut self.past.stored {
            *stored = StoredTranscript::default();
            self.transcript_offset = 0;
        }
        self.past.loaded = Some((address.to_string(), checks));
        self.past.read_at_ms = now_ms;
        self.past.reread_at = None;
    }

    /// The loop read the stored conversation of check `id` (None: none kept).
    pub fn stored_transcript_loaded(&mut self, id: i64, text: Result<Option<String>, String>) {
        let text = text.unwrap_or_else(|e| {
            self.error(format!("history: {e}"));
            None
        });
        let lines = text.map(|t| t.lines().map(str::to_string).collect());
        if let Some(stored) = &mut self.past.stored {
            stored.loaded = Some((id, lines));
        }
    }

    /// The selected row's check finished: its past is read again shortly.
    pub(super) fn past_changed(&mut self, row: usize) {
        if self.selected_row() == Some(row) {
            self.past.reread_at = Some(self.now + REREAD_AFTER);
        }
    }

    /// Key H: the transcript pane shows the stored conversations of the selected address
    /// (the newest first), or the live one again.
    pub(super) fn toggle_stored_transcripts(&mut self) {
        if self.past.stored.is_some() {
            self.close_stored_transcripts();
            return;
        }
        if !self.past.available {
            self.info("no history here (--no-history, or --demo without --db): nothing is stored");
            return;
        }
        let Some(row) = self.selected_row() else {
            return;
        };
        if self.selected_past().is_some() && self.past_with_transcripts().next().is_none() {
            self.info(format!(
                "the history keeps no conversation of {} yet",
                self.rows[row].address
            ));
            return;
        }
        self.past.stored = Some(StoredTranscript::default());
        self.focus = Pane::Transcript;
        self.follow = false;
        self.transcript_offset = 0;
    }

    /// `[` (older, `step` 1) or `]` (newer, -1) among the stored conversations shown.
    pub(super) fn step_stored_transcript(&mut self, step: isize) {
        let count = self.past_with_transcripts().count();
        let Some(stored) = &mut self.past.stored else {
            return;
        };
        let next = (stored.index as isize + step).clamp(0, count.saturating_sub(1) as isize);
        if next as usize != stored.index {
            stored.index = next as usize;
            self.transcript_offset = 0;
            self.follow = false;
        }
    }

    /// Esc: leaves the stored conversations (if open) for the live transcript.
    pub(super) fn close_stored_transcripts(&mut self) {
        if self.past.stored.take().is_some() {
            self.follow = true;
        }
    }

    /// Lines the transcript pane has to scroll through: the stored conversation's, or the
    /// live one's.
    pub(super) fn transcript_len(&self) -> usize {
        if self.past.stored.is_some() {
            return self.stored_transcript_lines().map_or(0, <[String]>::len);
        }
        self.selected_detail().map_or(0, |d| d.lines.len())
    }
}
