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
            effects.push(Effect::Check {
                row,
                address,
                fresh: false,
            });
        }
        self.view_dirty = true;
        effects
    }

    /// The loop started `job` for `row`.
    pub fn bind_job(&mut self, row: usize, job: JobId) {
        if let Some(r) = self.rows.get_mut(row) {
            if let Some(old) = r.job {
                self.job_rows.remove(old);
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
            fresh: true,
        }
    }
}

/// Which row each job belongs to. The engine numbers jobs from 0 in submission order, so this
/// is mostly a vector indexed by job id (4 bytes a job, where a hash map took about 36 at a
/// million rows); an id far beyond the others goes to a small map instead.
#[derive(Debug, Default)]
pub(super) struct JobRows {
    dense: Vec<u32>,
    sparse: std::collections::HashMap<JobId, usize>,
}

/// A dense slot with no row.
const NO_ROW: u32 = u32::MAX;

/// How far past the dense part a job id may be and still extend it.
const DENSE_REACH: usize = 1 << 20;

impl JobRows {
    /// The row of `job`, unless it was superseded.
    pub(super) fn get(&self, job: JobId) -> Option<usize> {
        match self.dense.get(job.0 as usize) {
            Some(&NO_ROW) => None,
            Some(&row) => Some(row as usize),
            None => self.sparse.get(&job).copied(),
        }
    }

    /// `job` checks `row`.
    pub(super) fn insert(&mut self, job: JobId, row: usize) {
        let index = job.0 as usize;
        match u32::try_from(row) {
            Ok(row) if row != NO_ROW && index < self.dense.len() + DENSE_REACH => {
                if index >= self.dense.len() {
                    self.dense.resize(index + 1, NO_ROW);
                }
                self.dense[index] = row;
            }
            _ => {
                self.sparse.insert(job, row);
            }
        }
    }

    /// `job` no longer belongs to any row.
    pub(super) fn remove(&mut self, job: JobId) {
        match self.dense.get_mut(job.0 as usize) {
            Some(slot) => *slot = NO_ROW,
            None => {
                self.sparse.remove(&job);
            }
        }
    }
}

#[cfg(test)]
mod job_rows_tests {
    use super::*;

    #[test]
    fn jobs_map_to_rows_densely_and_far_ids_still_work() {
        let mut rows = JobRows::default();
        rows.insert(JobId(0), 5);
        rows.insert(JobId(3), 7);
        assert_eq!(rows.get(JobId(0)), Some(5));
        assert_eq!(rows.get(JobId(1)), None, "a gap has no row");
        assert_eq!(rows.get(JobId(3)), Some(7));
        rows.remove(JobId(0));
        assert_eq!(rows.get(JobId(0)), None, "superseded");
        rows.insert(JobId(u64::MAX), 9);
        assert_eq!(rows.get(JobId(u64::MAX)), Some(9));
        assert!(rows.dense.len() < 10, "a far id does not grow the vector");
        rows.remove(JobId(u64::MAX));
        assert_eq!(rows.get(JobId(u64::MAX)), None);
    }
}
