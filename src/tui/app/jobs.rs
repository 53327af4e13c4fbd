//! Rows and the checks behind them: adding addresses, binding the engine's jobs to rows,
//! re-checking, pausing, and which server the checks ask.

use super::{App, Effect};
use crate::engine::event::JobId;
use crate::engine::judge::verdict::Verdict;
use crate::tui::rows::{Progress, Row};

impl App {
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

    /// The `--server` every check asks instead of the MX hosts (None or empty: the MX hosts).
    pub fn set_server(&mut self, server: Option<String>) {
        self.server = server.filter(|s| !s.is_empty());
    }

    /// Re-checks the selected address.
    pub(super) fn recheck_selected(&mut self) -> Vec<Effect> {
        match self.selected_row() {
            Some(row) => vec![self.recheck(row)],
            None => Vec::new(),
        }
    }

    /// Re-checks every unknown address (says so when there is none).
    pub(super) fn recheck_unknown(&mut self) -> Vec<Effect> {
        let rows: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.rows[i].verdict == Some(Verdict::Unknown))
            .collect();
        if rows.is_empty() {
            self.info("no unknown addresses to re-check");
        }
        rows.into_iter().map(|r| self.recheck(r)).collect()
    }

    /// Pauses or resumes starting new checks.
    pub(super) fn toggle_pause(&mut self) -> Vec<Effect> {
        self.paused = !self.paused;
        vec![Effect::SetPaused(self.paused)]
    }

    /// Forgets the row's verdict and returns the check that starts it again.
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
}
